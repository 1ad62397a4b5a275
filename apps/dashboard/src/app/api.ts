/**
 * Thin client for the /v1 API: the key from sessionStorage as the bearer token, errors as ApiError
 * carrying the API's `{ error, message, field }`.
 */
import type { CheckpointDto, JobDto, JobListDto, JobStatus, MetricsResponseDto } from '@rimwatch/contracts';

const KEY_STORAGE = 'rimwatch.apiKey';

export const session = {
  get key(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  },
  set(key: string) {
    sessionStorage.setItem(KEY_STORAGE, key);
  },
  clear() {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface AlertEventDto {
  id: string;
  jobId: string;
  ruleId: string;
  rule: { name: string; metric: string; comparator: string; threshold: number; mode: string; source: string };
  step: number;
  value: number;
  state: 'firing' | 'resolved';
  createdAt: string;
}

export interface WebhookDto {
  id: string;
  url: string;
  enabled: boolean;
}

export interface DeliveryDto {
  id: string;
  endpointId: string;
  alertEventId: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  responseCode: number | null;
  error: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
}

export interface NeuronSetDto {
  id: string;
  kind: string;
  size: number;
  neuronsPerLayer: number[];
  perLayer: number[];
  params: Record<string, unknown>;
  createdAt: string;
}

export interface DatasetDto {
  id: string;
  name: string;
  kind: string;
}

/** Thrown for 401: the caller signs out and shows the sign-in form. */
export const isUnauthorized = (err: unknown) => err instanceof ApiError && err.status === 401;

export async function request<T>(path: string, init: RequestInit & { key?: string } = {}): Promise<{ status: number; body: T | undefined; headers: Headers }> {
  const key = init.key ?? session.key;
  const headers = new Headers(init.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the API (${(err as Error).message})`);
  }
  if (res.status === 304) return { status: 304, body: undefined, headers: res.headers };
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: string; message?: string; field?: string };
    throw new ApiError(res.status, b.error ?? `http_${res.status}`, b.message ?? `${res.status} ${res.statusText}`, b.field);
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

const get = async <T>(path: string) => (await request<T>(path)).body as T;

export const api = {
  /** Checks a key before storing it; throws ApiError (401 for a wrong key). */
  async verifyKey(key: string): Promise<void> {
    await request('/v1/jobs?limit=1', { key });
  },
  listJobs: (status?: JobStatus | '') => get<JobListDto>(`/v1/jobs?limit=100${status ? `&status=${status}` : ''}`),
  getJob: (id: string) => get<JobDto>(`/v1/jobs/${id}`),
  cancelJob: async (id: string) => (await request<JobDto>(`/v1/jobs/${id}/cancel`, { method: 'POST' })).body as JobDto,
  submitJob: async (spec: unknown) => (await request<JobDto>('/v1/jobs', { method: 'POST', body: JSON.stringify(spec) })).body as JobDto,
  async checkpoints(id: string): Promise<CheckpointDto[]> {
    const out: CheckpointDto[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: CheckpointDto[]; nextCursor: string | null } = await get(`/v1/jobs/${id}/checkpoints?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  },
  /**
   * Metric history (all pages). With `etag`, a 304 returns `{ notModified: true }` after one cheap
   * query on the server; the ETag of the first page names the job's whole metric version.
   */
  async metrics(id: string, opts: { keys?: string[]; sinceStep?: number; maxPoints?: number; etag?: string } = {}): Promise<{ notModified: true } | { notModified: false; etag: string | null; series: MetricsResponseDto['series'] }> {
    const q = new URLSearchParams({ maxResults: '10000' });
    if (opts.keys) q.set('keys', opts.keys.join(','));
    if (opts.sinceStep !== undefined) q.set('sinceStep', String(opts.sinceStep));
    if (opts.maxPoints !== undefined) q.set('maxPoints', String(opts.maxPoints));
    const first = await request<MetricsResponseDto>(`/v1/jobs/${id}/metrics?${q}`, { headers: opts.etag ? { 'if-none-match': opts.etag } : {} });
    if (first.status === 304) return { notModified: true };
    const series = [...first.body!.series];
    let token = first.body!.nextPageToken;
    while (token) {
      q.set('pageToken', token);
      const page = await get<MetricsResponseDto>(`/v1/jobs/${id}/metrics?${q}`);
      for (const s of page.series) {
        const prev = series.find((x) => x.key === s.key);
        if (prev) prev.points.push(...s.points);
        else series.push(s);
      }
      token = page.nextPageToken;
    }
    return { notModified: false, etag: first.headers.get('etag'), series };
  },
  jobAlerts: async (id: string) => (await get<{ items: AlertEventDto[] }>(`/v1/jobs/${id}/alerts?limit=200`)).items,
  teamAlerts: async () => (await get<{ items: AlertEventDto[] }>(`/v1/alerts?limit=200`)).items,
  neuronSets: async (id: string) => (await get<{ items: NeuronSetDto[] }>(`/v1/jobs/${id}/neuron-sets`)).items,
  datasets: async () => (await get<{ items: DatasetDto[] }>(`/v1/datasets?limit=200`)).items,
  /** Delivery log of every webhook endpoint, by alert event id (the API keeps it per endpoint). */
  async deliveriesByAlert(): Promise<Map<string, (DeliveryDto & { url: string })[]>> {
    const endpoints = (await get<{ items: WebhookDto[] }>('/v1/webhooks')).items;
    const out = new Map<string, (DeliveryDto & { url: string })[]>();
    await Promise.all(
      endpoints.map(async (w) => {
        const page = await get<{ items: DeliveryDto[] }>(`/v1/webhooks/${w.id}/deliveries?limit=200`);
        for (const d of page.items) {
          const list = out.get(d.alertEventId) ?? [];
          list.push({ ...d, url: w.url });
          out.set(d.alertEventId, list);
        }
      }),
    );
    return out;
  },
};
