#!/usr/bin/env node
// The `dialo` bin: TypeScript runs through tsx's loader in this process, as `npm start` runs main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./dialo.ts');
