// A line diff (longest common subsequence) between two texts.

export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
  a?: number;
  b?: number;
}

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: common length of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) out.push({ op: ' ', text: a[i], a: ++i, b: ++j });
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', text: a[i], a: ++i });
    else out.push({ op: '+', text: b[j], b: ++j });
  }
  while (i < n) out.push({ op: '-', text: a[i], a: ++i });
  while (j < m) out.push({ op: '+', text: b[j], b: ++j });
  return out;
}
