/** The twelve phone keys as buttons; the dialer appends them to the number, a call sends them as tones. */
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export function renderKeypad(container: HTMLElement, onKey: (key: string) => void): void {
  container.replaceChildren(
    ...KEYS.map((key) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = key;
      button.addEventListener('click', () => onKey(key));
      return button;
    }),
  );
}
