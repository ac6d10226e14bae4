// The list of constructions the corpus is built from (ids are stable: they name the corpus pairs).

import type { Construction } from './build.ts';
import { SIMPLE_CONSTRUCTIONS } from './constructions-simple.ts';
import { COMPLEX_CONSTRUCTIONS } from './constructions-complex.ts';

export type { Construction, Built } from './build.ts';

export const CONSTRUCTION_LIST: readonly Construction[] = [...SIMPLE_CONSTRUCTIONS, ...COMPLEX_CONSTRUCTIONS];

/** Construction ids. */
export const CONSTRUCTIONS: readonly string[] = CONSTRUCTION_LIST.map((c) => c.id);
