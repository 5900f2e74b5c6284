/** The built CLI entry (dist/main/shells/cli.js), rebuilt when sources changed; null: use tsx. */
export function builtCli(root: string): Promise<string | null>;
/** main/ and contract/ transpiled into dist/ (the CLI's and Electron's build); the file count. */
export function transpileNode(root: string, files?: string[]): Promise<number>;
