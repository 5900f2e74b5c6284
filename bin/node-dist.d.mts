/** The built CLI entry (dist/main/shells/cli.js), rebuilt when sources changed; null: use tsx. */
export function builtCli(root: string): Promise<string | null>;
