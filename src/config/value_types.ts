/**
 * How one ini value becomes a typed value ({@linkcode ValueType}): strings,
 * integers, ports, decimal numbers, booleans and fixed words, each with the
 * words its error uses. Read through `ConfigSection` (ini_file.ts), which
 * re-exports them.
 *
 * @module
 */

import { escapeControls } from "../text.ts";

/**
 * How to turn one ini value into a typed value. `parse` returns `undefined`
 * when the value does not fit; `describe` completes the sentence
 * "'key' must be …" in the error, and `hint`, when it has one for the
 * value, follows it: "…, got '1e3': write it as 1000".
 */
export interface ValueType<T> {
  readonly describe: string;
  parse(value: unknown): T | undefined;
  hint?(value: unknown): string | undefined;
}

/** The text of a scalar ini value (`true`, `null` and numbers read back as written). */
function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  return undefined;
}

/**
 * How a bad value is shown in an error: quoted text (control and invisible
 * characters escaped), or what it structurally is.
 */
export function showValue(value: unknown): string {
  if (Array.isArray(value)) return "a list ('key[] =' lines)";
  const text = scalarText(value);
  return text === undefined ? "a section" : `'${escapeControls(text, { oneLine: true })}'`;
}

/** A string; empty only when `allowEmpty` is set. */
export function stringType(options: { allowEmpty?: boolean } = {}): ValueType<string> {
  return {
    describe: options.allowEmpty ? "a string" : "a non-empty string",
    parse(value) {
      const text = scalarText(value);
      if (text === undefined || (text === "" && !options.allowEmpty)) return undefined;
      return text;
    },
  };
}

/** Describes a range of numbers for messages: `>= 1`, `from 1 to 65535`. */
function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return "";
}

/** How numbers are written, for messages: what the pattern of {@linkcode numberType} takes. */
export const DECIMAL_FORMAT = "in decimal digits with an optional point " +
  "(such as 30 or 0.5; no exponent)";

/** How whole numbers are written, for messages: what the pattern of {@linkcode integerType} takes. */
const INTEGER_FORMAT = "in decimal digits only (such as 100; no point or exponent)";

/**
 * For a number written with an exponent (`1e3`, `2.5E6`), which the
 * numeric types do not read: how to write it in digits, `write it as 1000`.
 */
export function exponentHint(value: unknown): string | undefined {
  if (typeof value !== "string" || !/^[+-]?(\d+\.?\d*|\.\d+)e[+-]?\d+$/i.test(value)) {
    return undefined;
  }
  const digits = String(Number(value));
  return /^-?[\d.]+$/.test(digits) ? `write it as ${digits}` : undefined;
}

/**
 * A number as ini parsed it: a number as it is, or a string written as
 * `pattern` allows; otherwise undefined.
 */
function numberOf(value: unknown, pattern: RegExp): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && pattern.test(value)) return Number(value);
  return undefined;
}

/** A whole number, written in decimal digits, within `min`..`max` (both inclusive). */
export function integerType(options: { min?: number; max?: number } = {}): ValueType<number> {
  const { min, max } = options;
  return {
    describe: `an integer${describeRange(min, max)}, ${INTEGER_FORMAT}`,
    hint: exponentHint,
    parse(value) {
      const number = numberOf(value, /^[+-]?\d+$/);
      if (number === undefined || !Number.isSafeInteger(number)) return undefined;
      if (min !== undefined && number < min) return undefined;
      if (max !== undefined && number > max) return undefined;
      return number;
    },
  };
}

/** A TCP port, 1..65535. */
export const portType: ValueType<number> = {
  ...integerType({ min: 1, max: 65535 }),
  describe: "a port number from 1 to 65535",
};

/**
 * A decimal number such as `0.5` or `30` (fractional seconds), greater than
 * `min` or, with `allowMin`, at least `min`.
 */
export function numberType(options: { min: number; allowMin?: boolean }): ValueType<number> {
  const { min, allowMin = false } = options;
  return {
    describe: `a number ${allowMin ? ">=" : ">"} ${min}, ${DECIMAL_FORMAT}`,
    hint: exponentHint,
    parse(value) {
      const number = numberOf(value, /^[+-]?(\d+(\.\d*)?|\.\d+)$/);
      if (number === undefined || !Number.isFinite(number)) return undefined;
      if (allowMin ? number < min : number <= min) return undefined;
      return number;
    },
  };
}

/** A boolean: `1`, `0`, `true` or `false`, in any letter case. */
export const booleanType: ValueType<boolean> = {
  describe: "a boolean (1, 0, true or false)",
  parse(value) {
    if (typeof value === "boolean") return value;
    const text = typeof value === "number" ? String(value) : value;
    if (typeof text !== "string") return undefined;
    switch (text.toLowerCase()) {
      case "1":
      case "true":
        return true;
      case "0":
      case "false":
        return false;
      default:
        return undefined;
    }
  },
};

/** One of a fixed list of words, matched exactly. */
export function oneOfType<const T extends string>(choices: readonly T[]): ValueType<T> {
  return {
    describe: `one of ${choices.map((choice) => `'${choice}'`).join(", ")}`,
    parse(value) {
      const text = scalarText(value);
      return choices.find((choice) => choice === text);
    },
  };
}
