/** Jobs a killed worker left running, ended at its restart: on MySQL and on SQLite. */

import { openTestDatabase } from "./helpers/database.ts";
import { defineLeftoverConformance } from "./helpers/leftover_conformance.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

defineLeftoverConformance("leftovers: ", (options) => openTestDatabase(options));
defineLeftoverConformance("sqlite leftovers: ", (options) => openTestSqliteDatabase(options));
