// The run configuration form, generated from the schema: Data (with the corpus import), Model, Training.
// Locked while a run exists (Reset unlocks it); problems are listed under the form.
import { useState } from 'react';
import { CorpusImport } from './CorpusImport.tsx';
import { usePlayground, usePlaygroundStore } from './context.ts';
import { FIELDS, fieldError, validate, withField, type Field, type Group, type NumberField, type SelectField } from './schema.ts';
import { patchConfig, selectFocusView } from './store.ts';
import { configLocked } from './status.ts';

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
  const locked = configLocked(status);
  const limits = usePlayground((s) => (s.run.gpu.state === 'ready' ? (s.run.gpu.limits ?? null) : null));
  const checked = validate(values, imported, limits);
  const set = (field: Field, value: string | number) => patchConfig(store, { values: withField(values, field.name, value) });
  return (
    <form className="controls" onSubmit={(e) => e.preventDefault()} data-testid="controls">
      {locked && <p className="hint">Reset the run to change its configuration.</p>}
      {GROUPS.map(({ group, title }) => (
        <fieldset key={group} disabled={locked}>
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

function FieldControl({ field, value, hasImport, onChange }: { field: Field; value: string | number; hasImport: boolean; onChange: (v: string | number) => void }) {
  const error = fieldError(field, value);
  return (
    <label className={`field${error ? ' field-error' : ''}`} title={field.description}>
      <span className="field-label">{field.label}</span>
      {field.type === 'select' ? (
        <SelectInput field={field} value={String(value)} hasImport={hasImport} onChange={onChange} />
      ) : (
        <NumberInput field={field} value={Number(value)} onChange={onChange} />
      )}
    </label>
  );
}

function SelectInput({ field, value, hasImport, onChange }: { field: SelectField; value: string; hasImport: boolean; onChange: (v: string) => void }) {
  const options = field.options.filter((o) => o.value !== 'imported' || hasImport || value === 'imported');
  return (
    <select name={field.name} data-testid={`field-${field.name}`} value={value} onChange={(e) => onChange(e.target.value)}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** A number box that lets the user type freely (an empty box is NaN, which validation reports). */
function NumberInput({ field, value, onChange }: { field: NumberField; value: number; onChange: (v: number) => void }) {
  const [text, setText] = useState(String(value));
  const typed = text.trim() === '' ? NaN : Number(text);
  const shown = Object.is(typed, value) ? text : String(value);
  return (
    <input
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
