import type { Severity } from '../../../contract/pipeline';

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export const SEVERITY_COLOR: Record<Severity, 'red' | 'orange' | 'blue' | 'purple'> = {
  critical: 'red',
  high: 'orange',
  medium: 'blue',
  low: 'purple',
};

/** "47 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.round(s / 60);
  if (m < 60) {
    return `${m} min`;
  }
  const h = Math.floor(m / 60);
  if (h < 48) {
    return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  }
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}
