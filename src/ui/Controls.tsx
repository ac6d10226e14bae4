// The run configuration form, generated from the schema: Data (with the corpus import), Model, Training.
// Never locked: while runs exist, a changed setting is offered as a new run beside them (the old ones
// keep training and stay on the charts) or, after a confirmation, as a reset of all. Every field's help
// opens with its "?" button (click or keyboard), not only on hover. Problems are listed under the form.
import { useId, useState } from 'react';
import { CorpusImport } from './CorpusImport.tsx';
import { useClient, usePlayground, usePlaygroundStore } from './context.ts';
import { FIELDS, fieldError, validate, withField, type Field, type Group, type NumberField, type SelectField } from './schema.ts';
import { patchConfig, selectFocusView } from './store.ts';
import { hasRuns } from './status.ts';
import { changedFields } from './runs.ts';
import { useResetConfirm } from './ResetDialog.tsx';

const GROUPS: { group: Group; title: string }[] = [
  { group: 'data', title: 'Data' },
  { group: 'model', title: 'Model' },
  { group: 'training', title: 'Training' },
];

export function Controls() {
  const values = usePlayground((s) => s.config.values);
  const imported = usePlayground((s) => s.config.imported);
  const status = usePlayground((s) => s.run.status);
  const store = usePlaygroundStore();
  const withRuns = hasRuns(status);
  const limits = usePlayground((s) => (s.run.gpu.state === 'ready' ? (s.run.gpu.limits ?? null) : null));
  const checked = validate(values, imported, limits);
  const set = (field: Field, value: string | number) => patchConfig(store, { values: withField(values, field.name, value) });
  return (
    <form className="controls" onSubmit={(e) => e.preventDefault()} data-testid="controls" aria-label="Run settings">
      {withRuns && <ChangeOffer />}
      {GROUPS.map(({ group, title }) => (
        <fieldset key={group}>
          <legend>{title}</legend>
          {FIELDS.filter((f) => f.group === group && !f.live).map((f) => (
            <FieldControl key={f.name} field={f} value={values[f.name]} hasImport={imported !== null} onChange={(v) => set(f, v)} />
          ))}
          {group === 'data' && (
            <>
              <CorpusInUse />
              <CorpusImport onAccept={(imported) => patchConfig(store, { imported, values: { ...values, data: 'imported' } })} />
            </>
          )}
        </fieldset>
      ))}
      {!checked.ok && (
        <ul className="errors" data-testid="config-errors">
          {checked.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </form>
  );
}

/**
 * While runs exist: the settings that differ from the ones they started with, and the two ways to use
 * them: a new run beside the others (nothing is lost), or reset all and start (asks first).
 */
function ChangeOffer() {
  const client = useClient();
  const values = usePlayground((s) => s.config.values);
  const startedWith = usePlayground((s) => s.run.startedWith);
  const status = usePlayground((s) => s.run.status);
  const confirm = useResetConfirm();
  const changes = startedWith ? changedFields(startedWith, values) : [];
  const busy = status === 'preparing' || status === 'resetting';
  if (changes.length === 0) {
    return <p className="hint change-hint" data-testid="change-hint">Runs exist: a setting you change here can train as a new run beside them.</p>;
  }
  return (
    <div className="notice change-offer" data-testid="change-offer" role="region" aria-label="Changed settings">
      <div>
        Changed since the runs started:{' '}
        {changes.map((c, i) => (
          <span key={c.name}>
            {i > 0 && ', '}
            <strong>{c.label}</strong> {String(c.from)} → {String(c.to)}
          </span>
        ))}
      </div>
      <div className="notice-buttons">
        <button type="button" className="primary" data-testid="new-run-with-change" disabled={busy} onClick={() => client.addRun()}>
          New run with this change
        </button>
        <button type="button" data-testid="reset-all-with-change" disabled={busy} onClick={() => confirm.ask(() => {
          client.reset();
          client.start();
        }, 'Reset all')}>
          Reset all and start…
        </button>
      </div>
      {confirm.dialog}
    </div>
  );
}

function FieldControl({ field, value, hasImport, onChange }: { field: Field; value: string | number; hasImport: boolean; onChange: (v: string | number) => void }) {
  const error = fieldError(field, value);
  const [help, setHelp] = useState(false);
  const id = useId();
  return (
    <div className={`field${error ? ' field-error' : ''}${field.type === 'select' ? ' field-select' : ''}`}>
      <label className="field-label" htmlFor={`${id}-input`} title={field.description}>
        {field.label}
      </label>
      <button type="button" className="help-button" aria-expanded={help} aria-controls={`${id}-help`} aria-label={`Help: ${field.label}`} data-testid={`help-${field.name}`} onClick={() => setHelp(!help)}>
        ?
      </button>
      {field.type === 'select' ? (
        <SelectInput id={`${id}-input`} field={field} value={String(value)} hasImport={hasImport} onChange={onChange} />
      ) : (
        <NumberInput id={`${id}-input`} field={field} value={Number(value)} onChange={onChange} />
      )}
      <p className="field-help" id={`${id}-help`} hidden={!help} data-testid={`help-text-${field.name}`}>
        {field.description}
        {field.type !== 'select' && ` (${field.min}–${field.max})`}
      </p>
    </div>
  );
}

function SelectInput({ id, field, value, hasImport, onChange }: { id: string; field: SelectField; value: string; hasImport: boolean; onChange: (v: string) => void }) {
  const options = field.options.filter((o) => o.value !== 'imported' || hasImport || value === 'imported');
  return (
    <select id={id} name={field.name} data-testid={`field-${field.name}`} value={value} onChange={(e) => onChange(e.target.value)}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** A number box that lets the user type freely (an empty box is NaN, which validation reports). */
function NumberInput({ id, field, value, onChange }: { id: string; field: NumberField; value: number; onChange: (v: number) => void }) {
  const [text, setText] = useState(String(value));
  const typed = text.trim() === '' ? NaN : Number(text);
  const shown = Object.is(typed, value) ? text : String(value);
  return (
    <input
      id={id}
      type="number"
      name={field.name}
      data-testid={`field-${field.name}`}
      value={shown}
      min={field.min}
      max={field.max}
      step={field.step ?? (field.type === 'int' ? 1 : 'any')}
      onChange={(e) => {
        setText(e.target.value);
        onChange(e.target.value.trim() === '' ? NaN : Number(e.target.value));
      }}
    />
  );
}

const DATA_NAMES: Record<string, string> = {
  'en-de': 'built-in English→German corpus',
  'de-en': 'built-in German→English corpus',
  copy: 'synthetic copy task',
  reverse: 'synthetic reverse task',
};

/** Which corpus the next run trains on (and, once a run is prepared, what the worker made of it). */
function CorpusInUse() {
  const data = usePlayground((s) => s.config.values.data);
  const imported = usePlayground((s) => s.config.imported);
  const info = usePlayground((s) => selectFocusView(s)?.info ?? null);
  const name = data === 'imported' ? (imported?.name ?? 'no imported corpus') : DATA_NAMES[data];
  const pairs = data === 'imported' ? (imported?.pairs.length ?? 0) : 20000;
  return (
    <p className="corpus-in-use" data-testid="corpus-in-use">
      Corpus in use: <strong>{name}</strong> ({pairs} training pairs)
      {info && (
        <span className="hint">
          {' '}
          · run: {info.trainPairs} training / {info.devPairs} dev pairs, vocabulary {info.config.vocab}, {info.parameters.toLocaleString()} parameters
        </span>
      )}
    </p>
  );
}
