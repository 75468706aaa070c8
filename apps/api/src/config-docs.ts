import { describeSetting, ENV_NAMES, FLAG_ALIASES, FLAG_NAMES, SETTINGS, settingDefaults, type ApiSetting } from './config.ts';

function shownDefault(key: ApiSetting, value: unknown): string {
  if (value === undefined) return key === 'modelsDir' ? '(required)' : '—';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return String(value);
}

/** The settings table of docs/api.md (flag, alias, env variable, default, meaning), generated from the config schema. */
export function settingsTableMarkdown(): string {
  const defaults = settingDefaults() as Record<string, unknown>;
  const rows = SETTINGS.map((key) => {
    const alias = FLAG_ALIASES[key];
    const flag = `\`--${FLAG_NAMES[key]}\`${alias === undefined ? '' : ` (alias \`--${alias}\`)`}`;
    return `| ${flag} | \`${ENV_NAMES[key]}\` | ${shownDefault(key, defaults[key])} | ${describeSetting(key).replace(/\|/g, '\\|')} |`;
  });
  return ['| Flag | Environment | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
