// Keys on the dial screen dial; during a call they are tones; typed into a field, or with a modifier, they are not ours.
import { describe, expect, it } from 'vitest';
import { keyAction } from '../../../softphone/src/app/dial-keys.ts';

const press = (key: string, modified = false) => ({ key, modified });

describe('keyboard dialling', () => {
  it('on the dial screen: digits, *, # and + are typed, Backspace erases, Enter calls', () => {
    for (const key of ['0', '9', '*', '#', '+']) expect(keyAction(press(key), 'dial', 'page')).toEqual({ kind: 'type', key });
    expect(keyAction(press('Backspace'), 'dial', 'page')).toEqual({ kind: 'erase' });
    expect(keyAction(press('Enter'), 'dial', 'page')).toEqual({ kind: 'call' });
    expect(keyAction(press('a'), 'dial', 'page')).toBeUndefined();
  });

  it('with a keypad button focused, digits still type but Enter presses the button', () => {
    expect(keyAction(press('5'), 'dial', 'control')).toEqual({ kind: 'type', key: '5' });
    expect(keyAction(press('Enter'), 'dial', 'control')).toBeUndefined();
  });

  it('during a call: digits, * and # are tones; + and Backspace do nothing', () => {
    expect(keyAction(press('5'), 'call', 'page')).toEqual({ kind: 'tone', key: '5' });
    expect(keyAction(press('#'), 'call', 'control')).toEqual({ kind: 'tone', key: '#' });
    expect(keyAction(press('+'), 'call', 'page')).toBeUndefined();
    expect(keyAction(press('Backspace'), 'call', 'page')).toBeUndefined();
  });

  it('leaves keys typed into a field, shortcuts, and other pages alone', () => {
    expect(keyAction(press('5'), 'dial', 'field')).toBeUndefined();
    expect(keyAction(press('Enter'), 'dial', 'field')).toBeUndefined();
    expect(keyAction(press('5', true), 'dial', 'page')).toBeUndefined();
    expect(keyAction(press('5'), 'elsewhere', 'page')).toBeUndefined();
  });
});
