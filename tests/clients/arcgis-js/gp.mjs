// Drives the ArcGIS Maps SDK for JavaScript's geoprocessor against a GPServer task URL.
//
//   node gp.mjs '<scenario JSON>'   ->  one JSON line on stdout
//
// Scenario: {"mode": "execute" | "submitJob" | "cancel", "url": "<task url>",
//            "params": {<name>: <value spec>}, "options": {GPOptions properties},
//            "outputs": ["result", ...]}
// A value spec is {"featureSet": <FeatureSet JSON>}, {"linearUnit": {"distance", "units"}},
// or a plain JSON value. The answer says what the SDK made of the server's responses:
// {"ok": true, "results": {<name>: {"dataType", "value"}}, "jobStatus", "messages"} or
// {"ok": false, "error": {"name", "message", "details"}}.
import * as geoprocessor from "@arcgis/core/rest/geoprocessor.js";
import FeatureSet from "@arcgis/core/rest/support/FeatureSet.js";
import LinearUnit from "@arcgis/core/rest/support/LinearUnit.js";

function toSdk(spec) {
  if (spec && typeof spec === "object" && "featureSet" in spec) return FeatureSet.fromJSON(spec.featureSet);
  if (spec && typeof spec === "object" && "linearUnit" in spec) return new LinearUnit(spec.linearUnit);
  return spec;
}

function plain(value) {
  if (value && typeof value.toJSON === "function") return value.toJSON();
  return value;
}

function describe(parameterValue) {
  return { dataType: parameterValue.dataType, value: plain(parameterValue.value) };
}

function messages(list) {
  return (list || []).map((m) => ({ type: m.type, description: m.description }));
}

async function run(scenario) {
  const params = Object.fromEntries(Object.entries(scenario.params).map(([k, v]) => [k, toSdk(v)]));
  const options = scenario.options || {};
  if (scenario.mode === "execute") {
    const answer = await geoprocessor.execute(scenario.url, params, options);
    const results = Object.fromEntries(answer.results.map((r) => [r.paramName, describe(r)]));
    return { ok: true, results, messages: messages(answer.messages) };
  }
  const jobInfo = await geoprocessor.submitJob(scenario.url, params, options);
  const submitted = jobInfo.jobStatus;
  if (scenario.mode === "cancel") {
    await jobInfo.cancelJob();
    return { ok: true, submitted, jobStatus: jobInfo.jobStatus, jobId: jobInfo.jobId,
             messages: messages(jobInfo.messages) };
  }
  const statuses = [];
  await jobInfo.waitForJobCompletion({ interval: 100, statusCallback: (j) => statuses.push(j.jobStatus) });
  const results = {};
  for (const name of scenario.outputs || []) {
    results[name] = describe(await jobInfo.fetchResultData(name, options));
  }
  return { ok: true, submitted, statuses, jobStatus: jobInfo.jobStatus, jobId: jobInfo.jobId,
           results, messages: messages(jobInfo.messages) };
}

try {
  console.log(JSON.stringify(await run(JSON.parse(process.argv[2]))));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: { name: error.name, message: error.message,
                                                   details: error.details ?? null } }));
}
