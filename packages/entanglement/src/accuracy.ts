/** Reasoning accuracy: exact match of the final answer, with a configurable extractor. */

/** Returns the final answer in a response, or null when there is none. */
export type AnswerExtractor = (text: string) => string | null;

const NUMBER = /-?\$?\d[\d,]*(?:\.\d+)?|-?\$?\.\d+/g;

/** GSM8K style: the number after the last "####" (e.g. "…so 18 ducks.\n#### 18"). */
export const hashAnswer: AnswerExtractor = (text) => {
  const i = text.lastIndexOf('####');
  if (i < 0) return null;
  const m = text.slice(i + 4).match(/^\s*(-?\$?\d[\d,]*(?:\.\d+)?|-?\$?\.\d+)/);
  return m ? normalizeAnswer(m[1]) : null;
};

/** The last number in the text (after any <think>…</think> span). */
export const lastNumber: AnswerExtractor = (text) => {
  const visible = text.replace(/<think>[\s\S]*?<\/think>/g, '');
  const all = visible.match(NUMBER);
  return all ? normalizeAnswer(all[all.length - 1]) : null;
};

/** The content of the last \boxed{…} (MATH/AIME style), without nested braces. */
export const boxedAnswer: AnswerExtractor = (text) => {
  const all = [...text.matchAll(/\\boxed\{([^{}]*)\}/g)];
  return all.length ? normalizeAnswer(all[all.length - 1][1]) : null;
};

/** "####" when present, else \boxed{}, else the last number. */
export const defaultAnswer: AnswerExtractor = (text) => hashAnswer(text) ?? boxedAnswer(text) ?? lastNumber(text);

/**
 * Canonical form for comparison: trimmed; numbers lose "$", thousands separators and a trailing
 * ".0…" so "1,000.00" and "$1000" both become "1000".
 */
export function normalizeAnswer(s: string): string {
  const t = s.trim().replace(/\.$/, '');
  const num = t.replace(/[$,]/g, '');
  if (/^-?(\d+(\.\d*)?|\.\d+)$/.test(num)) {
    const v = Number(num);
    if (Number.isFinite(v)) return String(v);
  }
  return t;
}

export interface AccuracyItem {
  response: string;
  /** the reference answer (normalised the same way; may also be a full GSM8K solution with "####") */
  reference: string;
}

export interface AccuracyResult {
  accuracy: number;
  correct: number;
  total: number;
  /** responses where the extractor found no answer (counted as wrong) */
  unanswered: number;
}

export function reasoningAccuracy(items: readonly AccuracyItem[], opts: { extractor?: AnswerExtractor } = {}): AccuracyResult {
  if (!Array.isArray(items) || items.length === 0) throw new TypeError('items must be a non-empty array of { response, reference }');
  const extract = opts.extractor ?? defaultAnswer;
  if (typeof extract !== 'function') throw new TypeError('extractor must be a function (text) => string | null');
  let correct = 0;
  let unanswered = 0;
  items.forEach((it, i) => {
    if (typeof it?.response !== 'string') throw new TypeError(`items[${i}].response must be a string`);
    if (typeof it.reference !== 'string') throw new TypeError(`items[${i}].reference must be a string`);
    const got = extract(it.response);
    const want = it.reference.includes('####') ? hashAnswer(it.reference) : normalizeAnswer(it.reference);
    if (got === null) unanswered++;
    else if (want !== null && got === want) correct++;
  });
  return { accuracy: correct / items.length, correct, total: items.length, unanswered };
}
