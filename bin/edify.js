#!/usr/bin/env node
// The `edify` operator CLI. Commands are TypeScript in cli/commands, run directly by Node 24.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
