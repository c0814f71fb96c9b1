/**
 * What keeps secrets and oversized peer values out of log lines, in time
 * linear in the line's length (a regular expression over the line was
 * quadratic in a long run of word characters, which froze the daemon on one
 * hostile request):
 *
 * - {@linkcode cutForLog}: every value placed in a line is cut to
 *   {@linkcode MAX_LOGGED_VALUE_CHARS} characters, with a marker saying how
 *   much was cut, so a peer's 16 MiB target name costs a line of 1 KB;
 * - {@linkcode SECRET_FIELDS}: property names whose values are replaced
 *   before formatting (structured redaction, by field);
 * - {@linkcode lineRedactor}: the formatted line is scrubbed of every known
 *   secret value (the passwords from the config; one shorter than
 *   {@linkcode MASKED_INSIDE_WORDS_FROM} characters where it stands as a word
 *   of its own) and of any
 *   `password: "…"`, `"password":"…"` or `password=…` text, which covers
 *   objects interpolated into a message, raw JSON frames, Maps and errors.
 *
 * @module
 */

/** What replaces a secret in a log line. */
export const REDACTED = "[redacted]";

/**
 * Most characters of one value (a placeholder's string, an inspected object)
 * written to a log line; the rest is replaced by a marker such as
 * `…[jobd: 79000 more characters]`.
 */
export const MAX_LOGGED_VALUE_CHARS = 1000;

/** Words that make a name secret: `password`, `mysql_password`, `passwd`, `secret`, … */
const SECRET_WORDS = String.raw`passw(?:or)?d|passphrase|secret`;

/** Property names whose values never reach a log line. */
export const SECRET_FIELDS: readonly RegExp[] = [new RegExp(SECRET_WORDS, "i"), /^pass$/i];

/**
 * `text` when it has at most `max` characters, else its first `max`
 * characters (a surrogate pair is not split) and a marker with the number
 * of characters cut.
 */
export function cutForLog(text: string, max: number = MAX_LOGGED_VALUE_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…[jobd: ${text.length - end} more characters]`;
}

/**
 * A function that scrubs a formatted line: each secret value (as written and
 * as escaped in JSON) becomes {@linkcode REDACTED}, and so does the value of
 * every assignment to a secret-looking name. Empty and missing secrets are
 * skipped. Linear in the line's length for a given set of secrets.
 */
export function lineRedactor(
  secrets: readonly (string | undefined)[] = [],
): (line: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (line) => {
    let text = line;
    for (const form of ordered) {
      text = form.length >= MASKED_INSIDE_WORDS_FROM
        ? text.split(form).join(REDACTED)
        : maskWholeWords(text, form);
    }
    return redactSecretAssignments(text);
  };
}

/**
 * The length from which a known secret is masked wherever it occurs; a
 * shorter one only where no letter or digit touches it, so that a password
 * `p` leaves `app` alone instead of turning it into `a[redacted][redacted]`.
 */
export const MASKED_INSIDE_WORDS_FROM = 8;

const WORD_CHAR = /[\p{L}\p{N}_]/u;

function touchesWord(text: string, at: number): boolean {
  return at >= 0 && at < text.length && WORD_CHAR.test(text[at]);
}

/** `text` with each occurrence of `form` that no word character touches masked. */
function maskWholeWords(text: string, form: string): string {
  let result = "";
  let copied = 0;
  let at = text.indexOf(form);
  while (at !== -1) {
    if (touchesWord(text, at - 1) || touchesWord(text, at + form.length)) {
      at = text.indexOf(form, at + 1);
      continue;
    }
    result += text.slice(copied, at) + REDACTED;
    copied = at + form.length;
    at = text.indexOf(form, copied);
  }
  return copied === 0 ? text : result + text.slice(copied);
}

/** The secret words, found anywhere (the scan below decides whether they name a value). */
const SECRET_WORD = new RegExp(SECRET_WORDS, "gi");

/** Characters of a name: `[\w.$-]`. */
function isNameChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) || code === 0x5f || code === 0x2e || code === 0x24 ||
    code === 0x2d;
}

function isQuote(char: string | undefined): boolean {
  return char === '"' || char === "'" || char === "`";
}

const SPACE = /\s/;

function isSpace(char: string | undefined): boolean {
  return char !== undefined && SPACE.test(char);
}

/** Characters that end a bare (unquoted) value. */
const BARE_VALUE_END = new Set([",", ";", "&", ")", "}", "]"]);

/**
 * Replaces the value of every `key: value`, `key = value`, `key => value`
 * and `"key":"value"` whose key contains a secret word. The value may be
 * double- or single-quoted (with backslash escapes), a bare word, or already
 * masked. One pass: each character is looked at a bounded number of times.
 */
export function redactSecretAssignments(line: string): string {
  const length = line.length;
  let result = "";
  let copied = 0;
  /** Per quote character, an index from which that quote is known to be unclosed. */
  const unclosedFrom = new Map<string, number>();
  SECRET_WORD.lastIndex = 0;
  for (let match = SECRET_WORD.exec(line); match !== null; match = SECRET_WORD.exec(line)) {
    // The name may begin before the word (`mysql_password`); the text before
    // it is kept as it is, so only its end matters.
    let at = match.index + match[0].length;
    while (at < length && isNameChar(line.charCodeAt(at))) at++;
    SECRET_WORD.lastIndex = at;
    if (isQuote(line[at])) at++;
    while (isSpace(line[at])) at++;
    if (line.startsWith("=>", at)) at += 2;
    else if (line[at] === ":" || line[at] === "=") at++;
    else continue;
    while (isSpace(line[at])) at++;
    const valueEnd = endOfValue(line, at, unclosedFrom);
    if (valueEnd === at || isPasswordUsedNote(line, match.index, line.slice(at, valueEnd))) {
      continue;
    }
    result += line.slice(copied, at) + REDACTED;
    copied = valueEnd;
    SECRET_WORD.lastIndex = valueEnd;
  }
  return copied === 0 ? line : result + line.slice(copied);
}

/**
 * MySQL's `Access denied ... (using password: YES)` says whether a password
 * was sent, not which: kept, as it tells a wrong password from a missing one
 * (a configured password `YES` is masked before, as every secret value is).
 */
function isPasswordUsedNote(line: string, wordAt: number, value: string): boolean {
  return (value === "YES" || value === "NO") && line.slice(wordAt - 6, wordAt) === "using ";
}

/** Where the value starting at `start` ends; `start` when there is none. */
function endOfValue(line: string, start: number, unclosedFrom: Map<string, number>): number {
  if (line.startsWith(REDACTED, start)) return start + REDACTED.length;
  const quote = line[start];
  if (quote === '"' || quote === "'") {
    const known = unclosedFrom.get(quote);
    if (known === undefined || start < known) {
      for (let at = start + 1; at < line.length; at++) {
        if (line[at] === "\\") at++;
        else if (line[at] === quote) return at + 1;
      }
      unclosedFrom.set(quote, start);
    }
  }
  let at = start;
  while (at < line.length && !isSpace(line[at]) && !BARE_VALUE_END.has(line[at])) at++;
  return at;
}
