/** Deferred jobs, job timeouts and retries with a real worker, on MySQL and on SQLite. */

import { openTestDatabase } from "./helpers/database.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { defineTimeWorkerConformance } from "./helpers/time_conformance.ts";

defineTimeWorkerConformance("time: ", (options) => openTestDatabase(options));
defineTimeWorkerConformance("sqlite time: ", (options) => openTestSqliteDatabase(options));
