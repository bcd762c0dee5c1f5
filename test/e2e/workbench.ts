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
  const showing =
    selected && (await sidebar.isVisible()) && ((await sidebarTitle.textContent()) ?? '').toLowerCase().includes(title.toLowerCase());
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
  await page
    .locator('.part.statusbar')
    .click({ position: { x: 5, y: 5 } })
    .catch(() => undefined);
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
  return (
    (await quickInput(page)
      .innerText()
      .catch(() => '')) ?? ''
  )
    .replace(/\s+/g, ' ')
    .trim();
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
  await runCommandByKeyboard(page, title, timeoutMs);
}

/**
 * The same without touching the mouse: F1, the title typed, ArrowDown until the palette's focused
 * entry is exactly that command, Enter.
 */
export async function runCommandByKeyboard(page: Page, title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  await page.keyboard.press('F1');
  await waitForQuickInput(page, timeoutMs);
  await page.keyboard.type(title); // after the ">" the palette opens with
  const focusedLabel = () =>
    quickInput(page)
      .locator('.monaco-list-row.focused .label-name')
      .first()
      .textContent({ timeout: 1_000 })
      .then(
        (text) => (text ?? '').trim(),
        () => '',
      );
  const deadline = Date.now() + timeoutMs;
  for (let presses = 0; (await focusedLabel()) !== title;) {
    if (Date.now() > deadline) throw new Error(`the command palette did not offer "${title}" (focused: "${await focusedLabel()}")`);
    const matching = quickInput(page).locator('.monaco-list-row .label-name', { hasText: title });
    if ((await matching.count()) > 0 && presses < 20) {
      await page.keyboard.press('ArrowDown');
      presses++;
    }
    await page.waitForTimeout(100);
  }
  await page.keyboard.press('Enter');
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

/**
 * The tree's own rows: sticky scroll repeats the ancestors of the top row above the list
 * (.monaco-tree-sticky-row, same data-index, no aria-level); those copies are left out.
 */
const LIST_ROW = '.monaco-list-row:not(.monaco-tree-sticky-row)';

/** A tree row whose label (not its description) is exactly `label`. */
export function treeRow(page: Page, viewName: string, label: string): Locator {
  return viewPane(page, viewName)
    .locator(LIST_ROW)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) });
}

/** Expands a collapsible tree item by clicking its row (left as is when already expanded); returns the row. */
export async function expandTreeItem(page: Page, viewName: string, label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
  const row = treeRow(page, viewName, label).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  await waitForAttribute(row, 'aria-expanded', 'true', `"${label}" to expand`, timeoutMs);
  return row;
}

/** Polls a locator (re-resolved each time: list rows are recycled) until an attribute has a value. */
async function waitForAttribute(locator: Locator, name: string, value: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await locator.getAttribute(name, { timeout: timeoutMs }).catch(() => null)) !== value) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collapses an expanded tree item by clicking its row (left as is when already collapsed). */
export async function collapseTreeItem(page: Page, viewName: string, label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  const row = treeRow(page, viewName, label).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  if ((await row.getAttribute('aria-expanded')) === 'true') await row.click();
  await waitForAttribute(row, 'aria-expanded', 'false', `"${label}" to collapse`, timeoutMs);
}

/** The open context menu (right-click menu) of the workbench. */
export function contextMenu(page: Page): Locator {
  return page.locator('.context-view .monaco-menu');
}

/** An entry of the open context menu, by its title. */
export function contextMenuItem(page: Page, title: string): Locator {
  return contextMenu(page).getByRole('menuitem', { name: title, exact: true });
}

/** Right-clicks a tree item by its label and waits for the context menu; returns the menu. */
export async function openTreeItemContextMenu(page: Page, viewName: string, label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
  await closeContextMenu(page);
  const row = treeRow(page, viewName, label).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click({ button: 'right' });
  const menu = contextMenu(page);
  await menu.waitFor({ state: 'visible', timeout: timeoutMs });
  return menu;
}

/**
 * Picks an entry of the open context menu and waits for the menu to close. A click that lands
 * while the menu is still fading in can be dropped (the menu stays open, nothing runs): the click
 * is then repeated, at most twice.
 */
export async function pickContextMenuItem(page: Page, title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  const item = contextMenuItem(page, title);
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  await page.waitForTimeout(250); // the menu fades in
  for (let attempt = 1; ; attempt++) {
    await item.hover();
    await item.click();
    const closed = await contextMenu(page)
      .waitFor({ state: 'hidden', timeout: attempt < 3 ? 3_000 : timeoutMs })
      .then(
        () => true,
        () => false,
      );
    if (closed) return;
    if (attempt >= 3) throw new Error(`the context menu stayed open after clicking "${title}" ${attempt} times`);
    process.stderr.write(`[e2e] the context menu ignored a click on "${title}": clicking again\n`);
  }
}

/** Closes the context menu if one is open. */
export async function closeContextMenu(page: Page, timeoutMs = 5_000): Promise<void> {
  if (
    !(await contextMenu(page)
      .isVisible()
      .catch(() => false))
  )
    return;
  await page.keyboard.press('Escape');
  await contextMenu(page).waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** One rendered row of a tree: its position in the whole (virtualized) list, depth, label and description. */
export interface TreeRowInfo {
  index: number;
  level: number;
  label: string;
  description: string;
  expanded?: boolean;
}

/** Reads the tree rows a locator matches, in list order. */
function readTreeRows(rows: Locator): Promise<TreeRowInfo[]> {
  return rows
    .evaluateAll((elements) =>
      elements.map((el) => ({
        index: Number(el.getAttribute('data-index')),
        level: Number(el.getAttribute('aria-level')),
        label: (el.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (el.querySelector('.label-description')?.textContent ?? '').trim(),
        expanded: el.hasAttribute('aria-expanded') ? el.getAttribute('aria-expanded') === 'true' : undefined,
      })),
    )
    .then((found) => found.sort((a, b) => a.index - b.index));
}

/** The rows of a view's tree that are rendered now (the list only renders what is on screen). */
export function renderedTreeRows(page: Page, viewName: string): Promise<TreeRowInfo[]> {
  return readTreeRows(viewPane(page, viewName).locator(LIST_ROW));
}

/**
 * Moves the keyboard focus of a view's tree to its first row (Home), which scrolls the list to the
 * top. The keyboard is used because the list scrolls only ~50 px per mouse-wheel event.
 */
export async function scrollTreeToTop(page: Page, viewName: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  await viewPane(page, viewName).locator('.monaco-list').first().focus();
  await page.keyboard.press('Home');
  await viewPane(page, viewName).locator(`${LIST_ROW}[data-index="0"]`).waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Every row of a view's tree, paging through it with the keyboard (Home, then PageDown) to collect
 * them: the list is virtualized and renders only what is on screen. Leaves the focus on a late row.
 */
export async function readAllTreeRows(page: Page, viewName: string, maxPages = 50): Promise<TreeRowInfo[]> {
  await scrollTreeToTop(page, viewName);
  const byIndex = new Map<number, TreeRowInfo>();
  // The first PageDown only moves the focus to the last row on screen; later ones scroll a page.
  // So the bottom is reached when two PageDowns in a row show nothing new.
  let idle = 0;
  for (let pageNo = 0; pageNo < maxPages && idle < 2; pageNo++) {
    const before = byIndex.size;
    for (const row of await renderedTreeRows(page, viewName)) byIndex.set(row.index, row);
    idle = pageNo > 0 && byIndex.size === before ? idle + 1 : 0;
    await page.keyboard.press('PageDown');
    await page.waitForTimeout(60);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** The direct children of the row labelled `parentLabel` among `rows` (as read by readAllTreeRows). */
export function childRowsOf(rows: TreeRowInfo[], parentLabel: string): TreeRowInfo[] {
  const at = rows.findIndex((r) => r.label === parentLabel);
  if (at < 0) return [];
  const parent = rows[at];
  const children: TreeRowInfo[] = [];
  for (const row of rows.slice(at + 1)) {
    if (row.level <= parent.level) break;
    if (row.level === parent.level + 1) children.push(row);
  }
  return children;
}

/**
 * The row at `index` in a view's tree, brought on screen by moving the keyboard focus to it (so it
 * is rendered and not under the sticky-scroll header). `align: 'top'` scrolls it to the top of the
 * view instead (to show what follows it). The row gets the keyboard focus, not the selection.
 */
export async function treeRowAt(
  page: Page,
  viewName: string,
  index: number,
  timeoutMs = DEFAULT_TIMEOUT,
  align: 'bottom' | 'top' = 'bottom',
): Promise<Locator> {
  const row = viewPane(page, viewName).locator(`${LIST_ROW}[data-index="${index}"]`);
  await scrollTreeToTop(page, viewName, timeoutMs);
  let presses = index;
  if (align === 'top') {
    const listHeight = (await viewPane(page, viewName).locator('.monaco-list').first().boundingBox())?.height ?? 0;
    const rowHeight = (await viewPane(page, viewName).locator(LIST_ROW).first().boundingBox())?.height || 22;
    const below = Math.max(0, Math.floor(listHeight / rowHeight) - 1);
    for (let i = 0; i < index + below; i++) await page.keyboard.press('ArrowDown');
    presses = below;
    for (let i = 0; i < presses; i++) await page.keyboard.press('ArrowUp');
  } else {
    for (let i = 0; i < presses; i++) await page.keyboard.press('ArrowDown');
  }
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  return row;
}

// ---- Quick picks, notification buttons and palette sign-in (build-push journeys) ----------------

/** Rows of the open quick pick whose text contains `text`. */
export function quickPickRow(page: Page, text: string | RegExp): Locator {
  return quickInput(page).locator('.monaco-list-row').filter({ hasText: text });
}

/** Waits until the open quick input is no longer busy (its progress bar stopped, e.g. after a pick's refine). */
export async function waitForQuickInputIdle(page: Page, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  await page.waitForFunction(
    () => {
      const bar = document.querySelector('.quick-input-widget .monaco-progress-container');
      if (!bar || !bar.classList.contains('active')) return true;
      const box = (bar as HTMLElement).getBoundingClientRect();
      return (
        box.width === 0 || box.height === 0 || getComputedStyle(bar).visibility === 'hidden' || getComputedStyle(bar).display === 'none'
      );
    },
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
}

/** A button of a notification toast, by its label. */
export function notificationButton(toast: Locator, label: string): Locator {
  return toast.getByRole('button', { name: label, exact: true });
}

/** The message of a notification toast (without its source and buttons), whitespace collapsed. */
export async function notificationMessage(toast: Locator): Promise<string> {
  return ((await toast.locator('.notification-list-item-message').first().innerText()) ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Signs in through the command palette ("Synapse: Sign In", then the token in the password box)
 * and waits for the user name in the status bar. Expects no token file or variable to be offered.
 */
export async function signInThroughPalette(page: Page, token: string, userName: string, timeoutMs = 30_000): Promise<void> {
  await runCommand(page, 'Synapse: Sign In');
  const box = await waitForQuickInput(page);
  if ((await box.getAttribute('type')) !== 'password') throw new Error(`expected the token box, got: ${await quickInputText(page)}`);
  await box.fill(token);
  await box.press('Enter');
  await waitForStatusBarItem(page, new RegExp(`^\\s*\\S*\\s*${escapeRegExp(userName)}\\s*$`), timeoutMs);
}

/** Signs out through the command palette ("Synapse: Sign Out") and waits for the account to leave the status bar. */
export async function signOutThroughPalette(page: Page, userName: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  await runCommand(page, 'Synapse: Sign Out');
  await statusBarItems(page)
    .filter({ hasText: new RegExp(`^\\s*\\S*\\s*${escapeRegExp(userName)}\\s*$`) })
    .first()
    .waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Clears every notification with the command "Notifications: Clear All Notifications" (a toast's
 * close button is only rendered while hovered) and waits until no toast is left.
 */
export async function clearAllNotifications(page: Page, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  if ((await notificationToasts(page).count()) === 0) return;
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.waitForFunction(() => document.querySelectorAll('.notifications-toasts .notification-toast').length === 0, undefined, {
    timeout: timeoutMs,
    polling: 100,
  });
}

/** Waits until a toast has finished fading in (its opacity has reached 1). */
export async function waitForToastShown(toast: Locator, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const opacity = await toast
      .evaluate((el) => Number(getComputedStyle(el.closest('.notification-toast-container') ?? el).opacity))
      .catch(() => 0);
    const own = await toast.evaluate((el) => Number(getComputedStyle(el).opacity)).catch(() => 0);
    if (opacity >= 1 && own >= 1) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- View title actions, the view description, the account item, rows by position ---------------

/**
 * A button of a view's title bar, by its title. A view alone in its container has its header
 * merged into the side bar's title ("Synapse Docker: Projects"): its actions are there.
 */
export function viewTitleAction(page: Page, viewName: string, title: string): Locator {
  const merged = page.locator('.part.sidebar .composite.title .title-actions');
  const own = viewPane(page, viewName).locator('.pane-header:not(.hidden) .actions');
  return merged.or(own).getByRole('button', { name: title, exact: true });
}

/** Hovers a view's title (its actions show while it is hovered) and clicks the action titled `title`. */
export async function clickViewTitleAction(page: Page, viewName: string, title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  await (await viewTitleArea(page, viewName)).hover();
  const action = viewTitleAction(page, viewName, title);
  await action.waitFor({ state: 'visible', timeout: timeoutMs });
  await action.click();
}

/** Where a view's title shows: its own pane header, or the side bar's title when merged into it. */
export async function viewTitleArea(page: Page, viewName: string): Promise<Locator> {
  const header = viewPane(page, viewName).locator('.pane-header').first();
  const merged = ((await header.getAttribute('class')) ?? '').split(/\s+/).includes('hidden');
  return merged ? page.locator('.part.sidebar .composite.title') : header;
}

/**
 * The description of a view (TreeView.description), as the workbench holds it in the view's pane
 * header ('' when none), and whether it is on screen: a view alone in its container has its header
 * merged into the side bar's title, which shows no description (microsoft/vscode#166000).
 */
export async function viewDescription(page: Page, viewName: string): Promise<{ text: string; visible: boolean }> {
  const description = viewPane(page, viewName).locator('.pane-header .description').first();
  if ((await description.count()) === 0) return { text: '', visible: false };
  const text = ((await description.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  return { text, visible: text !== '' && (await description.isVisible()) };
}

/** The status bar item of the Synapse account (present only while someone is signed in). */
export function accountStatusBarItem(page: Page): Locator {
  return page.locator('.part.statusbar .statusbar-item[id$="synapseDocker.account"]');
}

/** The (rendered) row at a position of a view's tree. */
export function treeRowByIndex(page: Page, viewName: string, index: number): Locator {
  return viewPane(page, viewName).locator(`${LIST_ROW}[data-index="${index}"]`);
}

/**
 * Finds the child labelled `label` of the row labelled `parentLabel` (expanded), clicking the
 * parent's "Load more…" while it is not among the loaded children; brings it on screen (keyboard
 * focus) and returns its position.
 */
export async function revealChildRow(
  page: Page,
  viewName: string,
  parentLabel: string,
  label: string,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await readAllTreeRows(page, viewName, 200);
    const children = childRowsOf(rows, parentLabel);
    const found = children.find((r) => r.label === label);
    if (found) {
      await treeRowAt(page, viewName, found.index);
      return found.index;
    }
    if (Date.now() > deadline) throw new Error(`"${label}" not under "${parentLabel}": ${children.map((r) => r.label).join(', ')}`);
    const more = children.at(-1);
    if (more?.label === 'Load more…') {
      await (await treeRowAt(page, viewName, more.index)).click();
      // Wait for the "Load more…" row to be replaced (the next page loaded).
      // Wait for the next page to take the "Load more…" row's place.
      const atMore = treeRowByIndex(page, viewName, more.index).locator('.label-name');
      const until = Date.now() + 20_000;
      while (
        Date.now() < until &&
        ((await atMore.textContent({ timeout: 1_000 }).catch(() => 'Load more…')) ?? '').trim() === 'Load more…'
      ) {
        await page.waitForTimeout(200);
      }
      await waitForProgressToFinish(page, 15_000);
    } else {
      await page.waitForTimeout(300); // still loading
    }
  }
}

/** Collapses a tree item if its row is rendered (on screen) and expanded; quietly does nothing otherwise. */
export async function collapseTreeItemIfShown(page: Page, viewName: string, label: string, timeoutMs = 5_000): Promise<void> {
  if ((await treeRow(page, viewName, label).count()) === 0) return;
  await collapseTreeItem(page, viewName, label, timeoutMs).catch(() => undefined);
}

/**
 * Drags the sash between the side bar and the editor so the side bar is about `width` px wide (long
 * repository names and descriptions then fit in screenshots). The layout is kept across reloads.
 */
export async function resizeSideBar(page: Page, width: number, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  const sidebar = page.locator('.part.sidebar');
  await sidebar.waitFor({ state: 'visible', timeout: timeoutMs });
  const box = await sidebar.boundingBox();
  if (!box || Math.abs(box.width - width) < 4) return;
  const edge = box.x + box.width;
  const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((elements) =>
    elements.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2, height: r.height };
    }),
  );
  const sash = sashes.filter((s) => Math.abs(s.x - edge) <= 4 && s.height > box.height / 2).sort((a, b) => b.height - a.height)[0];
  if (!sash) throw new Error(`no sash at the side bar's edge (x = ${edge})`);
  await page.mouse.move(sash.x, sash.y);
  await page.mouse.down();
  await page.mouse.move(sash.x + (width - box.width) / 2, sash.y, { steps: 5 });
  await page.mouse.move(box.x + width, sash.y, { steps: 5 });
  await page.mouse.up();
  const after = await sidebar.boundingBox();
  if (!after || Math.abs(after.width - width) > 8) throw new Error(`the side bar is ${after?.width} px wide, not ${width}`);
}

// ---- Keyboard only (journey 7) ------------------------------------------------------------------

/** The row of a view's tree that has the keyboard focus, or undefined when none has. */
export async function focusedTreeRow(page: Page, viewName: string): Promise<TreeRowInfo | undefined> {
  return (await readTreeRows(viewPane(page, viewName).locator(`${LIST_ROW}.focused`)))[0];
}

/** Waits until the focused tree row matches `accept` (the tree re-renders as children load). */
export async function waitForFocusedTreeRow(
  page: Page,
  viewName: string,
  accept: (row: TreeRowInfo) => boolean,
  what: string,
  timeoutMs = DEFAULT_TIMEOUT,
): Promise<TreeRowInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await focusedTreeRow(page, viewName);
    if (row && accept(row)) return row;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; the focused row is ${JSON.stringify(row)}`);
    await page.waitForTimeout(100);
  }
}

/**
 * Expands the focused tree row `label` with ArrowRight and waits until it shows expanded. Chromium
 * under load has dropped a single key press here (the row stayed focused and collapsed, nothing
 * else changed), so a press is repeated while the row is still focused and collapsed, at most
 * `presses` times; ArrowRight on an expanded row would move to its first child, so never then.
 */
export async function expandFocusedTreeRowByKeyboard(
  page: Page,
  viewName: string,
  label: string,
  presses = 3,
  perPressMs = 7_000,
): Promise<TreeRowInfo> {
  const lost: string[] = [];
  for (let press = 1; ; press++) {
    await page.keyboard.press('ArrowRight');
    try {
      return await waitForFocusedTreeRow(
        page,
        viewName,
        (row) => row.label === label && row.expanded === true,
        `"${label}" to expand`,
        perPressMs,
      );
    } catch (error) {
      const row = await focusedTreeRow(page, viewName);
      const active = await page.evaluate(() => {
        const el = document.activeElement;
        return el ? `${el.tagName.toLowerCase()}.${(el.getAttribute('class') ?? '').split(' ').filter(Boolean).join('.')}` : 'none';
      });
      lost.push(`press ${press}: focused row ${JSON.stringify(row)}, DOM focus on ${active}`);
      if (press >= presses || row?.label !== label || row.expanded !== false) {
        throw new Error(`ArrowRight did not expand "${label}": ${lost.join('; ')}`, { cause: error });
      }
      console.log(`[e2e] ArrowRight on "${label}" was lost (${lost.at(-1)}); pressing it again`);
    }
  }
}

/** Presses ArrowDown until the focused tree row is labelled `label` (at most `maxSteps` presses). */
export async function arrowDownToTreeRow(page: Page, viewName: string, label: string, maxSteps = 60): Promise<TreeRowInfo> {
  for (let step = 0; ; step++) {
    const row = await focusedTreeRow(page, viewName);
    if (row?.label === label) return row;
    if (step >= maxSteps)
      throw new Error(`"${label}" not reached with ${maxSteps} ArrowDown presses; the focused row is ${JSON.stringify(row)}`);
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(30);
  }
}

/** The title of the context-menu entry that has the keyboard focus. */
export async function focusedMenuItem(page: Page): Promise<string> {
  const focused = contextMenu(page).locator('.action-item.focused .action-label');
  return ((await focused.count()) > 0 ? ((await focused.first().textContent()) ?? '') : '').trim();
}

/** Presses ArrowDown in the open context menu until the entry `title` has the focus. */
export async function arrowDownToMenuItem(page: Page, title: string, maxSteps = 20): Promise<void> {
  for (let step = 0; ; step++) {
    if ((await focusedMenuItem(page)) === title) return;
    if (step >= maxSteps)
      throw new Error(
        `"${title}" not reached in the context menu with ${maxSteps} ArrowDown presses (focused: "${await focusedMenuItem(page)}")`,
      );
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(50);
  }
}
