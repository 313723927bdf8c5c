"""JSON Schemas of the GPServer responses, transcribed from Esri's REST API reference.

Esri publishes no machine-readable schema for these documents (11.1+ servers
link one for *data types* only), so these are our transcription of the
documented shapes: the required keys, enumerations and value types of the
gp-service, gp-task, execute, gp-job, gp-result, featureSet, geometry and
error pages (Esri: https://developers.arcgis.com/rest/services-reference/enterprise/gp-service/). Every JSON
response of the GPServer tests goes through ``assert_valid``.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator

JOB_STATUSES = ["esriJobNew", "esriJobSubmitted", "esriJobWaiting", "esriJobExecuting",
                "esriJobSucceeded", "esriJobFailed", "esriJobTimedOut", "esriJobCancelling",
                "esriJobCancelled", "esriJobDeleting", "esriJobDeleted"]
MESSAGE_TYPES = ["esriJobMessageTypeInformative", "esriJobMessageTypeWarning",
                 "esriJobMessageTypeError", "esriJobMessageTypeEmpty", "esriJobMessageTypeAbort"]
EXECUTION_TYPES = ["esriExecutionTypeSynchronous", "esriExecutionTypeAsynchronous"]
DATA_TYPE = {"type": "string", "pattern": r"^(GPMultiValue:)?(GPString|GPLong|GPDouble|GPBoolean|"
             r"GPDate|GPLinearUnit|GPArealUnit|GPTimeUnit|GPFeatureRecordSetLayer|GPRecordSet|"
             r"GPRasterDataLayer|GPRasterData|GPDataFile|Field|GPSpatialReference|"
             r"GPCoordinateSystem|GPExtent|GPEnvelope|GPComposite)$|^GPValueTable$"}
SR = {"type": "object", "anyOf": [{"required": ["wkid"]}, {"required": ["wkt"]}],
      "properties": {"wkid": {"type": "integer"}, "latestWkid": {"type": "integer"},
                     "wkt": {"type": "string"}}}
XY = {"type": "array", "minItems": 2, "maxItems": 4, "items": {"type": "number"}}
GEOMETRY = {"oneOf": [
    {"type": "null"},
    {"type": "object", "required": ["x", "y"],
     "properties": {"x": {"type": ["number", "null"]}, "y": {"type": ["number", "null"]}}},
    {"type": "object", "required": ["points"], "properties": {"points": {"type": "array",
                                                                         "items": XY}}},
    {"type": "object", "required": ["paths"], "properties": {"paths": {
        "type": "array", "items": {"type": "array", "minItems": 2, "items": XY}}}},
    {"type": "object", "required": ["rings"], "properties": {"rings": {
        "type": "array", "items": {"type": "array", "minItems": 4, "items": XY}}}},
]}
FIELD = {"type": "object", "required": ["name", "type"], "properties": {
    "name": {"type": "string"}, "type": {"type": "string", "pattern": "^esriFieldType"},
    "alias": {"type": "string"}, "length": {"type": "integer"}}}
FEATURE_SET = {"type": "object", "required": ["features", "fields", "exceededTransferLimit"],
               "properties": {
                   "geometryType": {"enum": ["esriGeometryPoint", "esriGeometryMultipoint",
                                             "esriGeometryPolyline", "esriGeometryPolygon",
                                             "esriGeometryEnvelope"]},
                   "spatialReference": SR, "fields": {"type": "array", "items": FIELD},
                   "exceededTransferLimit": {"type": "boolean"},
                   "features": {"type": "array", "items": {
                       "type": "object", "required": ["attributes"],
                       "properties": {"attributes": {"type": "object"}, "geometry": GEOMETRY}}}}}
MESSAGE = {"type": "object", "required": ["type", "description"], "additionalProperties": False,
           "properties": {"type": {"enum": MESSAGE_TYPES}, "description": {"type": "string"}}}
PARAM_VALUE = {"type": "object", "required": ["paramName", "dataType", "value"],
               "additionalProperties": False,
               "properties": {"paramName": {"type": "string"}, "dataType": DATA_TYPE, "value": {}}}
PARAMETER = {"type": "object", "required": ["name", "dataType", "displayName", "description",
                                            "direction", "defaultValue", "parameterType",
                                            "category"],
             "properties": {
                 "name": {"type": "string"}, "dataType": DATA_TYPE,
                 "displayName": {"type": "string"}, "description": {"type": "string"},
                 "direction": {"enum": ["esriGPParameterDirectionInput",
                                        "esriGPParameterDirectionOutput"]},
                 "parameterType": {"enum": ["esriGPParameterTypeRequired",
                                            "esriGPParameterTypeOptional",
                                            "esriGPParameterTypeDerived"]},
                 "category": {"type": "string"},
                 "choiceList": {"type": "array", "items": {"type": "string"}},
                 "filter": {"type": "object", "required": ["type"]}}}
PARAM_URLS = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["paramUrl"], "additionalProperties": False,
    "properties": {"paramUrl": {"type": "string", "pattern": "^(results|inputs)/[^/]+$"}}}}

SCHEMAS: dict[str, dict[str, Any]] = {
    "info": {"type": "object", "required": ["currentVersion", "authInfo"], "properties": {
        "currentVersion": {"type": "number"}, "fullVersion": {"type": "string"},
        "authInfo": {"type": "object", "required": ["isTokenBasedSecurity"]}}},
    "catalog": {"type": "object", "required": ["currentVersion", "folders", "services"],
                "properties": {"folders": {"type": "array", "items": {"type": "string"}},
                               "services": {"type": "array", "items": {
                                   "type": "object", "required": ["name", "type"]}}}},
    "service": {"type": "object", "required": ["currentVersion", "serviceDescription", "tasks",
                                               "executionType", "resultMapServerName",
                                               "maximumRecords", "capabilities"],
                "properties": {"tasks": {"type": "array", "items": {"type": "string"},
                                         "uniqueItems": True},
                               "executionType": {"enum": EXECUTION_TYPES},
                               "maximumRecords": {"type": "integer", "minimum": 1},
                               "capabilities": {"type": "string"}}},
    "task": {"type": "object", "required": ["name", "displayName", "description", "category",
                                            "helpUrl", "executionType", "parameters"],
             "properties": {"executionType": {"enum": EXECUTION_TYPES},
                            "parameters": {"type": "array", "items": PARAMETER}}},
    "execute": {"type": "object", "required": ["results", "messages"],
                "properties": {"results": {"type": "array", "items": PARAM_VALUE},
                               "messages": {"type": "array", "items": MESSAGE}}},
    "job": {"type": "object", "required": ["jobId", "jobStatus", "messages"],
            "properties": {"jobId": {"type": "string", "minLength": 1},
                           "jobStatus": {"enum": JOB_STATUSES},
                           "results": PARAM_URLS, "inputs": PARAM_URLS,
                           "messages": {"type": "array", "items": MESSAGE},
                           "progress": {"type": "object", "required": ["type", "message"],
                                        "properties": {"percent": {"type": "integer",
                                                                   "minimum": 0,
                                                                   "maximum": 100}}}}},
    "result": PARAM_VALUE,
    "featureSet": FEATURE_SET,
    "error": {"type": "object", "required": ["error"], "additionalProperties": False,
              "properties": {"error": {"type": "object", "required": ["code", "message", "details"],
                                       "properties": {"code": {"type": "integer"},
                                                      "message": {"type": "string",
                                                                  "minLength": 1},
                                                      "details": {"type": "array", "items": {
                                                          "type": "string"}}}}}},
    "upload": {"type": "object", "required": ["success", "item"], "properties": {
        "success": {"const": True}, "item": {"type": "object", "required": [
            "itemID", "itemName", "description", "date", "committed"]}}},
    "item": {"type": "object", "required": ["itemID", "itemName", "description", "date",
                                            "committed"]},
}


def assert_valid(document: Any, name: str) -> Any:
    """Raise if ``document`` does not have the documented shape ``name``; returns it."""
    Draft7Validator(SCHEMAS[name]).validate(document)
    if name in ("execute", "result"):
        values = document["results"] if name == "execute" else [document]
        for entry in values:
            if entry["dataType"] in ("GPFeatureRecordSetLayer", "GPRecordSet") and isinstance(
                    entry["value"], dict) and "layerDefinition" not in entry["value"]:
                Draft7Validator(FEATURE_SET).validate(entry["value"])
    return document
