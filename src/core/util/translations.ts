// Messages composed in the core go through @vscode/l10n, which VS Code's API is not available to.
// The VS Code layer hands over the bundle VS Code loaded for the display language (undefined in
// English) and the language itself (for dates). Each esbuild bundle carries its own copy of this
// module and of @vscode/l10n, so each one is handed them.
import * as l10n from '@vscode/l10n';

export type TranslationBundle = Record<string, string>;

let language = 'en';

export function useTranslations(bundle: TranslationBundle | undefined, displayLanguage = 'en'): void {
  l10n.config({ contents: bundle ?? {} });
  language = displayLanguage;
}

/** The display language for Intl formatting; falls back to English when Intl doesn't know it. */
export function displayLanguage(): string {
  return Intl.RelativeTimeFormat.supportedLocalesOf([language]).length > 0 ? language : 'en';
}
