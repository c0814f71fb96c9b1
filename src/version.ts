import manifest from "../deno.json" with { type: "json" };

/** The version of jobd, from deno.json. */
export const VERSION: string = manifest.version;
