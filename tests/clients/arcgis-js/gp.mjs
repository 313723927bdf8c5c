// Drives the ArcGIS Maps SDK for JavaScript's geoprocessor against a GPServer task URL.
//
//   node gp.mjs '<scenario JSON>'   ->  one JSON line on stdout
//   node gp.mjs < scenarios          ->  one JSON answer line per scenario line
//
// Scenario: {"mode": "execute" | "submitJob" | "cancel", "url": "<task url>",
//            "params": {<name>: <value spec>}, "options": {GPOptions properties},
//            "outputs": ["result", ...], "token": {"server", "token"} (optional: sent as the
//            token parameter on every request to server)}
// A value spec is {"featureSet": <FeatureSet JSON>}, {"linearUnit": {"distance", "units"}},
// or a plain JSON value. The answer says what the SDK made of the server's responses:
// {"ok": true, "results": {<name>: {"dataType", "value"}}, "jobStatus", "messages"} or
// {"ok": false, "error": {"name", "message", "details"}} (a request the SDK rejected) or
// {"ok": false, "jobStatus", "messages"} (a job that did not succeed).
import readline from "node:readline";
import * as geoprocessor from "@arcgis/core/rest/geoprocessor.js";
import FeatureSet from "@arcgis/core/rest/support/FeatureSet.js";
import LinearUnit from "@arcgis/core/rest/support/LinearUnit.js";
import esriConfig from "@arcgis/core/config.js";

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
  if (scenario.token) {
    // IdentityManager.registerToken cannot be loaded under Node (its sign-in dialog needs a
    // DOM: window, ResizeObserver, CSS modules); a request interceptor adds the token to every
    // request to the server instead, as apps with a token from their own sign-in do.
    esriConfig.request.interceptors.push({
      urls: scenario.token.server,
      before(params) {
        params.requestOptions.query = { ...(params.requestOptions.query || {}), token: scenario.token.token };
      },
    });
  }
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

async function answer(scenario) {
  try {
    return await run(scenario);
  } catch (error) {
    if (error && error.jobStatus) {  // waitForJobCompletion rejects with the JobInfo itself
      return { ok: false, jobStatus: error.jobStatus, jobId: error.jobId,
               messages: messages(error.messages) };
    }
    return { ok: false, error: { name: error.name, message: error.message,
                                 details: error.details ?? null } };
  }
}

if (process.argv[2]) {
  console.log(JSON.stringify(await answer(JSON.parse(process.argv[2]))));
} else {  // one scenario per input line, one answer per output line (the SDK loads once)
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim()) console.log(JSON.stringify(await answer(JSON.parse(line))));
  }
}
