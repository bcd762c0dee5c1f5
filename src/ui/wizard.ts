// Multi-step input with Back: each step is a function that shows one quick pick or input box
// and stores its answer in the shared state. Back re-runs the previous step; Escape cancels.
import * as vscode from 'vscode';

class BackRequested extends Error {}

export interface StepInfo {
  title: string;
  step: number;
  totalSteps: number;
}

export type WizardStep<S> = (state: S, info: StepInfo) => Promise<void>;

/** Runs the steps in order; resolves the state when all answered, undefined when cancelled. */
export async function runWizard<S>(title: string, state: S, steps: Array<WizardStep<S> | undefined>): Promise<S | undefined> {
  const active = steps.filter((s): s is WizardStep<S> => s !== undefined);
  for (let index = 0; index < active.length;) {
    try {
      await active[index](state, { title, step: index + 1, totalSteps: active.length });
      index++;
    } catch (error) {
      if (error instanceof BackRequested) {
        index = Math.max(0, index - 1);
        continue;
      }
      if (error instanceof vscode.CancellationError) return undefined;
      throw error;
    }
  }
  return state;
}

export interface PickOptions<T extends vscode.QuickPickItem> {
  placeholder: string;
  items: T[];
  /** Runs after the picker is shown (e.g. permission checks); may replace the items. */
  refine?: (update: (items: T[]) => void) => Promise<void>;
  /** Extra items computed from what the user types (e.g. "Use syn123", "Create repository x"). */
  itemsForValue?: (value: string) => T[];
  activeItem?: T;
}

export function pick<T extends vscode.QuickPickItem>(info: StepInfo, options: PickOptions<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const picker = vscode.window.createQuickPick<T>();
    picker.title = info.title;
    picker.step = info.step;
    picker.totalSteps = info.totalSteps;
    picker.placeholder = options.placeholder;
    picker.ignoreFocusOut = true;
    picker.matchOnDescription = true;
    picker.buttons = info.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    let baseItems = options.items;
    const render = () => {
      const extra = options.itemsForValue?.(picker.value) ?? [];
      picker.items = [...extra, ...baseItems];
    };
    render();
    if (options.activeItem) picker.activeItems = [options.activeItem];
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
      picker.dispose();
    };
    picker.onDidChangeValue(() => render());
    picker.onDidTriggerButton((button) => button === vscode.QuickInputButtons.Back && finish(() => reject(new BackRequested())));
    picker.onDidAccept(() => {
      const [chosen] = picker.selectedItems;
      if (chosen && !chosen.kind) finish(() => resolve(chosen));
    });
    picker.onDidHide(() => finish(() => reject(new vscode.CancellationError())));
    picker.show();
    if (options.refine) {
      picker.busy = true;
      options
        .refine((items) => {
          if (settled) return;
          // Keep the highlighted entry highlighted when the list is re-sorted.
          const active = picker.activeItems[0]?.label;
          baseItems = items;
          render();
          const again = picker.items.find((item) => item.label === active);
          if (again) picker.activeItems = [again];
        })
        .catch(() => undefined)
        .finally(() => {
          if (!settled) picker.busy = false;
        });
    }
  });
}

export interface InputOptions {
  prompt: string;
  value?: string;
  placeholder?: string;
  validate?: (value: string) => string | undefined;
}

export function input(info: StepInfo, options: InputOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const box = vscode.window.createInputBox();
    box.title = info.title;
    box.step = info.step;
    box.totalSteps = info.totalSteps;
    box.prompt = options.prompt;
    box.value = options.value ?? '';
    box.placeholder = options.placeholder;
    box.ignoreFocusOut = true;
    box.buttons = info.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
      box.dispose();
    };
    const validate = () => (box.validationMessage = options.validate?.(box.value));
    validate();
    box.onDidChangeValue(validate);
    box.onDidTriggerButton((button) => button === vscode.QuickInputButtons.Back && finish(() => reject(new BackRequested())));
    box.onDidAccept(() => {
      if (validate()) return;
      finish(() => resolve(box.value));
    });
    box.onDidHide(() => finish(() => reject(new vscode.CancellationError())));
    box.show();
  });
}
