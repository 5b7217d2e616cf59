// A smoke flow of the official TypeScript SDK (npm `polytomic`) against `syncline serve`.
//
// tests/e2e/test_typescript_sdk.py runs it with:
//   SYNCLINE_URL, SYNCLINE_API_KEY  the server and its key
//   FLOW_PG                         a `postgresql` connection configuration (JSON)
//   FLOW_SCHEMA                     a schema holding the source table `people`
//   FLOW_LOCK                       an advisory lock key the test holds until this
//                                   script prints "waiting for the lock", so that one
//                                   run is in progress while another is canceled
// The server runs one execution at a time (SYNCLINE_WORKERS=1). Every step prints a
// line starting "ok"; the first mismatch prints "FAILED: ..." and exits 1.
"use strict";

const { PolytomicClient, Polytomic, PolytomicError } = require("polytomic");

const env = (name) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
};

const options = { environment: env("SYNCLINE_URL"), token: env("SYNCLINE_API_KEY") };
// Without `version` the SDK sends no X-Polytomic-Version (1.18.1 reads it from the
// client's options only, whatever its request options say).
const client = new PolytomicClient(options);
const latest = new PolytomicClient({ ...options, version: "2025-09-18" });
const schema = env("FLOW_SCHEMA");
const lockKey = Number(env("FLOW_LOCK"));
const ONCE = { maxRetries: 0 };
const TERMINAL = new Set(["completed", "canceled", "failed", "interrupted"]);

class Mismatch extends Error {}

function check(condition, what, detail) {
    if (!condition) throw new Mismatch(`${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
}

function ok(step, detail) {
    console.log(`ok ${step}${detail ? ` (${detail})` : ""}`);
}

async function refused(call, errorClass, what) {
    try {
        await call();
    } catch (error) {
        check(error instanceof errorClass, `${what}: ${errorClass.name} expected`, {
            name: error.constructor.name,
            statusCode: error.statusCode,
            body: error.body,
        });
        return error;
    }
    throw new Mismatch(`${what}: the call succeeded`);
}

async function waitFor(syncId, executionId, done, what) {
    const deadline = Date.now() + 120000;
    for (;;) {
        const execution = (await client.modelSync.executions.get(syncId, executionId, ONCE)).data;
        if (done(execution)) return execution;
        check(Date.now() < deadline, `${what}: still ${execution.status} after 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

// One row summing up a table's contents, read through a model preview.
async function digest(connectionId, table) {
    const query =
        "SELECT count(*)::bigint AS n, md5(string_agg(id::text || ':' || email || ':' || score::text, ','" +
        ` ORDER BY id)) AS digest FROM "${schema}".${table}`;
    const preview = await client.models.preview(
        { body: { name: `digest of ${table}`, connection_id: connectionId, configuration: { query } } },
        ONCE,
    );
    const records = preview.data.records;
    check(Array.isArray(records) && records.length === 1, `preview of ${table}`, preview.data);
    return records[0];
}

const mapping = (modelId, field) => ({ source: { model_id: modelId, field }, target: field, new: true });
const identity = (modelId) => ({
    source: { model_id: modelId, field: "id" },
    target: "id",
    function: "Equality",
    new_field: true,
});

async function main() {
    const types = (await client.connections.getTypes(ONCE)).data.map((t) => t.id);
    check(types.includes("postgresql"), "connection types list postgresql", types);
    ok("connections.getTypes", types.join(", "));

    const pg = (
        await client.connections.create(
            { name: "warehouse", type: "postgresql", configuration: JSON.parse(env("FLOW_PG")) },
            ONCE,
        )
    ).data;
    check(pg.id && pg.status === "healthy", "postgresql connection created healthy", pg);
    ok("connections.create", pg.status);

    // Map-valued params travel as one JSON object: params={"schema":[...]}.
    const source = (await client.modelSync.getSource(pg.id, { params: { schema: [schema] } }, ONCE)).data;
    const tables = ((source.items.table || {}).items || []).map((item) => item.value);
    check(tables.includes(`${schema}.people`), "getSource refined by schema lists its tables", tables);
    ok("modelSync.getSource", tables.join(", "));

    const fields = (
        await client.modelSync.getSourceFields(pg.id, { params: { table: [`${schema}.people`] } }, ONCE)
    ).data.map((field) => `${field.name}:${field.type}`);
    check(
        JSON.stringify(fields) === JSON.stringify(["id:number", "email:string", "score:number"]),
        "getSourceFields of the table",
        fields,
    );
    ok("modelSync.getSourceFields", fields.join(", "));

    const model = (
        await client.models.create(
            {
                body: {
                    name: "people",
                    connection_id: pg.id,
                    configuration: { table: `${schema}.people` },
                    identifier: "id",
                },
            },
            ONCE,
        )
    ).data;
    check(model.id && model.fields.length === 3, "model created with three fields", model);
    ok("models.create", model.fields.map((f) => f.name).join(", "));

    const missing = await refused(
        () =>
            client.models.create(
                { body: { name: "nothing", connection_id: pg.id, configuration: { table: `${schema}.nope` } } },
                ONCE,
            ),
        Polytomic.BadRequestError,
        "models.create on a missing table",
    );
    ok("models.create on a missing table", `${missing.statusCode}: ${missing.body.message}`);

    const targets = (await client.modelSync.targets.getTarget(pg.id, { type: schema }, ONCE)).data;
    const objects = targets.items.object.items.map((item) => item.value);
    check(JSON.stringify(objects) === JSON.stringify([`${schema}.people`]), "getTarget narrowed by type", objects);
    ok("modelSync.targets.getTarget", objects.join(", "));

    const sync = (
        await client.modelSync.create(
            {
                name: "people into a new table",
                mode: "updateOrCreate",
                active: true,
                schedule: { frequency: "manual" },
                target: { connection_id: pg.id, create: { schema, name: "people_copy" } },
                fields: [mapping(model.id, "email"), mapping(model.id, "score")],
                identity: identity(model.id),
            },
            ONCE,
        )
    ).data;
    check(sync.id && sync.identity.new_field === true, "sync created with a new identity field", sync);
    ok("modelSync.create", `identity ${sync.identity.target} new_field`);

    const started = (await client.modelSync.start(sync.id, {}, ONCE)).data;
    const run = await waitFor(sync.id, started.id, (e) => TERMINAL.has(e.status), "first run");
    check(run.status === "completed", "first run completed", run);
    ok("modelSync.start + executions.get", `${run.status}, ${run.counts.insert} inserted`);

    const source_digest = await digest(pg.id, "people");
    const copy_digest = await digest(pg.id, "people_copy");
    check(run.counts.insert === Number(source_digest.n), "every record inserted", run.counts);
    check(
        JSON.stringify(copy_digest) === JSON.stringify(source_digest),
        "the new table holds the source's records",
        { source: source_digest, copy: copy_digest },
    );
    ok("target table contents", `${copy_digest.n} rows, md5 ${copy_digest.digest}`);

    const listed = await client.modelSync.list({}, ONCE);
    check(!("pagination" in listed), "the unversioned list is not paged", Object.keys(listed));
    const full = listed.data.find((item) => item.id === sync.id);
    check(
        full && full.target.connection_id === pg.id && full.fields.length === 2 && full.identity.target === "id",
        "the unversioned list holds full syncs",
        full,
    );
    const paged = await latest.modelSync.list({}, ONCE);
    check("pagination" in paged && paged.data[0].target_connection_id === pg.id, "2025-09-18 pages list items", paged);
    ok("modelSync.list", `no version: ${listed.data.length} sync in full, unpaged; 2025-09-18: list items, paged`);

    // One run holds the only worker (its query waits for the advisory lock) while a
    // second waits in the queue and is canceled with PUT .../executions/{id}.
    const gated = (
        await client.models.create(
            {
                body: {
                    name: "people behind a lock",
                    connection_id: pg.id,
                    configuration: {
                        query:
                            `SELECT p.* FROM "${schema}".people p` +
                            ` CROSS JOIN (SELECT pg_advisory_xact_lock_shared(${lockKey})) AS gate`,
                    },
                },
            },
            ONCE,
        )
    ).data;
    const blocked = (
        await client.modelSync.create(
            {
                name: "people behind a lock",
                mode: "updateOrCreate",
                active: true,
                schedule: { frequency: "manual" },
                target: { connection_id: pg.id, create: { schema, name: "people_gated" } },
                fields: [mapping(gated.id, "email")],
                identity: identity(gated.id),
            },
            ONCE,
        )
    ).data;
    const holder = (await client.modelSync.start(blocked.id, {}, ONCE)).data;
    await waitFor(blocked.id, holder.id, (e) => e.status === "running" || TERMINAL.has(e.status), "gated run");
    const queued = (await client.modelSync.start(sync.id, {}, ONCE)).data;
    const other = await refused(
        () => client.modelSync.executions.update(sync.id, queued.id, { status: "completed" }, ONCE),
        Polytomic.BadRequestError,
        "setting an execution completed",
    );
    ok("executions.update to completed refused", `${other.statusCode}: ${other.body.message}`);
    const canceling = (
        await client.modelSync.executions.update(sync.id, queued.id, { status: "canceled" }, ONCE)
    ).data;
    check(canceling.id === queued.id && canceling.status === "canceling", "PUT status canceled", canceling);
    console.log(`waiting for the lock ${lockKey} to be released`);
    const held = await waitFor(blocked.id, holder.id, (e) => TERMINAL.has(e.status), "gated run");
    check(held.status === "completed", "the gated run completed once the lock was released", held);
    const canceled = await waitFor(sync.id, queued.id, (e) => TERMINAL.has(e.status), "canceled run");
    check(canceled.status === "canceled", "the queued run ended canceled", canceled);
    ok("executions.update to canceled", `${canceling.status}, then ${canceled.status}`);
}

main().then(
    () => {
        console.log("flow: ok");
    },
    (error) => {
        const detail = error instanceof PolytomicError ? ` ${error.statusCode} ${JSON.stringify(error.body)}` : "";
        console.log(`FAILED: ${error.message}${detail}`);
        process.exitCode = 1;
    },
);
