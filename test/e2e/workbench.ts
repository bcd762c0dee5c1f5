// Helpers for driving the VS Code workbench (code-server 4.100 / VS Code 1.100) through playwright-core.
// Selectors follow the workbench's own DOM classes and ARIA roles; keep them here so journeys stay
// readable and only this file changes when the workbench does.
import type { Locator, Page } from 'playwright-core';

const DEFAULT_TIMEOUT = 20_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits until the workbench is rendered and the remote extension host is connected. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** The activity-bar entry of a view container, by its title (e.g. "Synapse Docker"). */
export function activityBarItem(page: Page, title: string): Locator {
  return page.locator('.part.activitybar').getByRole('tab', { name: new RegExp(`^${escapeRegExp(title)}`) });
}

/** Opens a view container from the activity bar (leaves it open if it already is). */
export async function openViewContainer(page: Page, title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
  const item = activityBarItem(page, title);
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  const selected = (await item.getAttribute('aria-selected')) === 'true' || (await item.getAttribute('aria-checked')) === 'true';
  const sidebar = page.locator('.part.sidebar');
  const sidebarTitle = sidebar.locator('.composite.title .title-label');
  const showing = selected && (await sidebar.isVisible()) && ((await sidebarTitle.textContent()) ?? '').toLowerCase().includes(title.toLowerCase());
  if (!showing) await item.click();
  await sidebarTitle.filter({ hasText: new RegExp(escapeRegExp(title), 'i') }).waitFor({ state: 'visible', timeout: timeoutMs });
  return sidebar;
}

/** A view's pane inside the side bar, by the view's name (e.g. "Projects"). */
export function viewPane(page: Page, viewName: string): Locator {
  return page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${escapeRegExp(viewName)}`, 'i') }) });
}

/** The welcome content ("viewsWelcome") of a view pane. */
export function welcomeView(page: Page, viewName: string): Locator {
  return viewPane(page, viewName).locator('.welcome-view-content');
}

/** A button of a view's welcome content, by its label. */
export function welcomeButton(page: Page, viewName: string, label: string): Locator {
  return welcomeView(page, viewName).getByRole('button', { name: label });
}

/** Focuses the workbench (not an editor or input) so keyboard shortcuts reach it. */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 5, y: 5 } }).catch(() => undefined);
}

export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

export function quickInputBox(page: Page): Locator {
  return quickInput(page).locator('.quick-input-box input');
}

/** Waits for the quick input (command palette, input box) to show; returns its text field. */
export async function waitForQuickInput(page: Page, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
  await quickInput(page).waitFor({ state: 'visible', timeout: timeoutMs });
  const box = quickInputBox(page);
  await box.waitFor({ state: 'visible', timeout: timeoutMs });
  return box;
}

/** The prompt/title text shown with the quick input. */
export async function quickInputText(page: Page): Promise<string> {
  return ((await quickInput(page).innerText().catch(() => '')) ?? '').replace(/\s+/g, ' ').trim();
}

/** Types into the open quick input and presses Enter. */
export async function submitQuickInput(page: Page, text: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  const box = await waitForQuickInput(page, timeoutMs);
  await box.fill(text);
  await box.press('Enter');
}

/**
 * Runs a command through the command palette (F1), by its title as shown there
 * (e.g. "Synapse: Sign In").
 */
export async function runCommand(page: Page, title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('F1');
  const box = await waitForQuickInput(page, timeoutMs);
  await box.fill(`>${title}`);
  const row = quickInput(page)
    .locator('.monaco-list-row')
    .filter({ hasText: new RegExp(`^\\s*${escapeRegExp(title)}`) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

/** Closes the quick input if it is open. */
export async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) await page.keyboard.press('Escape');
}

/** Toast notifications currently shown. */
export function notificationToasts(page: Page): Locator {
  return page.locator('.notifications-toasts .notification-toast');
}

/** Waits for a notification toast containing `text` (string or pattern); returns it. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
  const toast = notificationToasts(page).filter({ hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** Clears every notification (command "Notifications: Clear All Notifications"). */
export async function clearNotifications(page: Page): Promise<void> {
  const toasts = notificationToasts(page);
  for (let i = await toasts.count(); i > 0; i--) {
    const close = toasts.first().locator('.codicon-notifications-clear, .codicon-close').first();
    if (!(await close.isVisible().catch(() => false))) break;
    await close.click().catch(() => undefined);
  }
}

/** All status bar entries. */
export function statusBarItems(page: Page): Locator {
  return page.locator('.part.statusbar .statusbar-item');
}

/** The text of the whole status bar (entries joined by " | "). */
export async function readStatusBar(page: Page): Promise<string> {
  const texts = await statusBarItems(page).allInnerTexts();
  return texts
    .map((t) => t.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join(' | ');
}

/** Waits for a status bar entry whose text contains `text`; returns it. */
export async function waitForStatusBarItem(page: Page, text: string | RegExp, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
  const item = statusBarItems(page).filter({ hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return item;
}

/** A tree item in a view pane, by its label. */
export function treeItem(page: Page, viewName: string, label: string | RegExp): Locator {
  return viewPane(page, viewName).locator('.monaco-list-row').filter({ hasText: label });
}

/**
 * Waits until no progress bar is running in the workbench (view loading, a notification's progress,
 * the activity bar badge's work). Returns false when something is still busy after the timeout.
 */
export async function waitForProgressToFinish(page: Page, timeoutMs = DEFAULT_TIMEOUT): Promise<boolean> {
  try {
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.monaco-progress-container.active')).every((el) => {
          const box = (el as HTMLElement).getBoundingClientRect();
          return box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden';
        }),
      undefined,
      { timeout: timeoutMs, polling: 200 },
    );
    return true;
  } catch {
    return false;
  }
}
