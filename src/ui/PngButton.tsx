// A small "PNG" button for a chart card: chartToPng of the element behind `target`, offered as a download.
// A failure (no chart drawn yet) shows on the button's tooltip and in data-error.
import { useState, type RefObject } from 'react';
import { download } from './export.ts';
import { chartToPng, type PngOptions } from './png-export.ts';

export interface PngButtonProps {
  target: RefObject<HTMLElement | null>;
  fileName: string;
  title?: string;
  caption?: PngOptions['caption'];
  scale?: number;
  /** Default: "png-" and the file name without ".png" (png-loss for loss.png). */
  testId?: string;
}

export function PngButton({ target, fileName, title, caption, scale, testId }: PngButtonProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    const element = target.current;
    if (!element) return;
    setBusy(true);
    try {
      download(fileName, await chartToPng(element, { title, caption, scale }), 'image/png');
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className="png-button"
      data-testid={testId ?? `png-${fileName.replace(/\.png$/i, '')}`}
      data-error={error ?? undefined}
      title={error ?? `Download as ${fileName}`}
      disabled={busy}
      onClick={() => void save()}
    >
      PNG
    </button>
  );
}
