// Import a sentence-pair corpus (TSV: source<TAB>target) from a file picker or by drag-and-drop. The
// file is checked in full before anything changes: the report names rejected lines with their reasons,
// and the corpus in use is replaced only when the user accepts the good lines.
import { useState, type DragEvent } from 'react';
import { importCorpus, groupRejected, describeReason, formatLineList, type ImportResult, type Pair } from '../data/import.ts';

export interface CorpusImportProps {
  /** Called with the accepted pairs and the file name; the caller switches its corpus then. */
  onAccept(pairs: Pair[], name: string): void;
}

interface Pending {
  name: string;
  result: ImportResult;
}

export function CorpusImport({ onAccept }: CorpusImportProps) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [dragging, setDragging] = useState(false);

  async function load(file: File | undefined) {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    setPending({ name: file.name, result: importCorpus(bytes) });
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
              <button type="button" className="primary" data-testid="import-accept" onClick={() => (onAccept(result.pairs, pending.name), setPending(null))}>
                {clean ? `Use these ${result.pairs.length} pairs` : `Keep the ${result.pairs.length} good pairs`}
              </button>{' '}
              <button type="button" onClick={() => setPending(null)}>Cancel (keep the current corpus)</button>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
