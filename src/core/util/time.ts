/** "3 minutes ago", "2 days ago": short relative ages for tree descriptions. */
export function relativeTime(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return 'just now';
  const units: Array<[string, number]> = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    const count = Math.round(seconds / size);
    if (count >= 1 && seconds >= size * 0.75) return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}
