/**
 * Dataset resolution: `builtin:<name>` → the organism's JSONL; an uploaded dataset id → its stored
 * file (looked up for the job's team only). Rows are validated against their kind's schema; the
 * first bad row fails the job naming the dataset, row number and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { validateDatasetRow, type DatasetKind, type DatasetRowByKind } from '@rimwatch/contracts';
import { isBuiltinRef, resolveBuiltinDataset } from '@rimwatch/organism';
import { JobInputError } from './errors';

/** Finds an uploaded dataset's file for the job's team (undefined when the team has no such dataset). */
export type UploadedDatasetLookup = (id: string) => Promise<{ path: string; kind: string } | undefined>;

export function parseJsonlRows<K extends DatasetKind>(text: string, kind: K, source: string): DatasetRowByKind[K][] {
  const rows: DatasetRowByKind[K][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new JobInputError(`dataset ${source}: row ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
    const err = validateDatasetRow(kind, row);
    if (err) throw new JobInputError(`dataset ${source}: row ${i + 1}: ${err.field ? `field ${err.field}: ` : ''}${err.message}`);
    rows.push(row as DatasetRowByKind[K]);
  }
  if (!rows.length) throw new JobInputError(`dataset ${source} has no rows`);
  return rows;
}

export async function loadDataset<K extends DatasetKind>(ref: string, kind: K, lookup?: UploadedDatasetLookup): Promise<DatasetRowByKind[K][]> {
  let path: string;
  if (isBuiltinRef(ref)) {
    let ds;
    try {
      ds = resolveBuiltinDataset(ref);
    } catch (e) {
      throw new JobInputError((e as Error).message);
    }
    if (ds.kind !== kind) throw new JobInputError(`dataset ${ref} holds ${ds.kind} rows, this slot needs ${kind}`);
    path = ds.path;
  } else {
    const found = lookup ? await lookup(ref) : undefined;
    if (!found) throw new JobInputError(`dataset ${ref} not found`);
    if (found.kind !== kind) throw new JobInputError(`dataset ${ref} holds ${found.kind} rows, this slot needs ${kind}`);
    path = found.path;
  }
  if (!existsSync(path)) throw new JobInputError(`dataset ${ref}: file missing at ${path}`);
  return parseJsonlRows(readFileSync(path, 'utf8'), kind, ref);
}
