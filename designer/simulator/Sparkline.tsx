/** A small line of recent values, scaled to its own maximum. */
import { memo } from 'react';

export const Sparkline = memo(function Sparkline({
  values,
  width = 80,
  height = 18,
  className,
}: {
  values: readonly number[];
  width?: number;
  height?: number;
  className?: string;
}) {
  if (values.length < 2) return <svg width={width} height={height} className={className} aria-hidden />;
  const max = Math.max(1, ...values);
  const dx = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * dx).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return (
    <svg width={width} height={height} className={className} aria-hidden>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.2" />
    </svg>
  );
});
