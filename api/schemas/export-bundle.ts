import { Type } from '@sinclair/typebox';

const Rows = Type.Array(Type.Record(Type.String(), Type.Unknown()));

export const ExportBundleSchema = Type.Object(
  {
    format: Type.Literal('dialo-export/1'),
    generatedAt: Type.String({ format: 'date-time' }),
    accountId: Type.String(),
    contents: Type.Record(Type.String(), Type.String(), { description: 'per table: what it holds' }),
    data: Type.Record(Type.String(), Rows, { description: 'per table: every row about the account' }),
    withheld: Type.Record(Type.String(), Type.String(), { description: 'tables not shown to the subject, and why' }),
  },
  { description: 'Everything Dialo holds about one account' },
);
