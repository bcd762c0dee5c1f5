// Messages composed in the core go through @vscode/l10n, which VS Code's API is not available to.
// The VS Code layer hands over the bundle VS Code loaded for the display language (undefined in
// English) and the language itself (for dates). Each esbuild bundle carries its own copy of this
// module and of @vscode/l10n, so each one is handed them.
import * as l10n from '@vscode/l10n';

export type TranslationBundle = Record<string, string>;

let language = 'en';

export function useTranslations(bundle: TranslationBundle | undefined, displayLanguage = 'en'): void {
  l10n.config({ contents: bundle ?? {} });
  // Intl formats in the display language when it knows it (not e.g. the pseudo-language), else English.
  language = Intl.RelativeTimeFormat.supportedLocalesOf([displayLanguage]).length > 0 ? displayLanguage : 'en';
}

/** The display language for Intl formatting. */
export function displayLanguage(): string {
  return language;
}
