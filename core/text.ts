/**
 * Text the database can store as it is: Postgres refuses NUL in text (the statement fails), and an unpaired UTF-16
 * surrogate is no character at all (it cannot be encoded as UTF-8). Checked wherever outside text enters: the API's
 * request rules and the payment provider's signed events.
 * @example
 * isStorableText('Ana') === true; isStorableText('a\u0000b') === false; isStorableText('\uD800') === false
 */
export function isStorableText(text: string): boolean {
  return !BAD_TEXT.test(text);
}

/** NUL, or a high surrogate not followed by a low one, or a low one not preceded by a high one. */
const BAD_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
