// What the history's filter form asks of the API: whole UTC days, the last one included, and a country in capitals.
import { expect, it } from 'vitest';
import { filterQuery } from '../../../softphone/src/app/usage-query.ts';

const none = { from: '', to: '', direction: '', outcome: '', country: '', number: '' };

it('asks for every call when nothing is chosen', () => {
  expect(filterQuery(none)).toBe('');
});

it('turns the chosen days into a range that includes the last day', () => {
  const query = new URLSearchParams(filterQuery({ ...none, from: '2026-03-01', to: '2026-03-31' }));
  expect(Object.fromEntries(query)).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
});

it('passes direction, outcome and number as chosen and the country in capitals', () => {
  const query = new URLSearchParams(filterQuery({ ...none, direction: 'out', outcome: 'missed', country: ' gb ', number: ' +44 20 7946 0958 ' }));
  expect(Object.fromEntries(query)).toEqual({ direction: 'out', outcome: 'missed', country: 'GB', number: '+44 20 7946 0958' });
});
