// Import a sentence-pair corpus (TSV: source<TAB>target) from a file picker or by drag-and-drop. The
// file is parsed in the training worker (a 60 MB file would block the page for seconds), with its progress
// shown, and checked in full before anything changes: the report names rejected lines with their reasons,
// and the corpus in use is replaced only when the user accepts the good lines. The corpus is identified by
// the hash of its pairs from then on (a checkpoint trained on it names it by that hash).
import { useState, type DragEvent } from 'react';
import { groupRejected, describeReason, formatLineList } from '../data/import.ts';
import { useClient } from './context.ts';
import type { ImportedCorpus } from './schema.ts';
import type { ImportedFile } from './training-client.ts';

export interface CorpusImportProps {
  /** Called with the accepted corpus; the caller switches its corpus then. */
  onAccept(imported: ImportedCorpus): void;
}

export function CorpusImport({ onAccept }: CorpusImportProps) {
  const client = useClient();
  const [pending, setPending] = useState<ImportedFile | null>(null);
  const [reading, setReading] = useState<{ name: string; fraction: number } | null>(null);
  const [dragging, setDragging] = useState(false);

  async function load(file: File | undefined) {
    if (!file) return;
    setPending(null);
    setReading({ name: file.name, fraction: 0 });
    const got = await client.importCorpusFile(file, (fraction) => setReading({ name: file.name, fraction }));
    setReading(null);
    setPending(got);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    void load(event.dataTransfer.files[0]);
  }

  const result = pending?.result;
  const clean = result && !result.fatal && result.rejected.length === 0;
  return (
    <section
      data-testid="corpus-import"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      className={`corpus-import${dragging ? ' dragging' : ''}`}
    >
      <label>
        Import a corpus (TSV, one <code>source⇥target</code> pair per line), or drop a file here:
        <input type="file" accept=".tsv,.txt,text/tab-separated-values,text/plain" data-testid="corpus-file" onChange={(e) => void load(e.target.files?.[0])} />
      </label>
      {reading && (
        <p className="hint" data-testid="import-progress" data-fraction={reading.fraction}>
          importing {reading.name}: {Math.floor(reading.fraction * 100)}%
        </p>
      )}
      {pending && result && (
        <div data-testid="import-report" role={result.fatal ? 'alert' : 'status'}>
          <p>
            <strong>{pending.name}</strong>: {result.summary}
          </p>
          {result.fatal && <p>Nothing usable: {result.fatal} The corpus in use is unchanged.</p>}
          {result.rejected.length > 0 && (
            <ul>
              {[...groupRejected(result.rejected)].map(([reason, lines]) => (
                <li key={reason}>
                  {formatLineList(lines)}: {describeReason(reason)}
                </li>
              ))}
            </ul>
          )}
          {!result.fatal && (
            <p>
              <button type="button" className="primary" data-testid="import-accept" onClick={() => (onAccept({ name: pending.name, pairs: pending.pairs, hash: pending.hash ?? undefined }), setPending(null))}>
                {clean ? `Use these ${pending.pairs.length} pairs` : `Keep the ${pending.pairs.length} good pairs`}
              </button>{' '}
              <button type="button" onClick={() => setPending(null)}>Cancel (keep the current corpus)</button>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
