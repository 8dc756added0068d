import * as api from "@goauthentik/api";
import type { BlueprintEntry } from "../../components/sso/blueprint";
import { BlueprintTag, isMap, type BlueprintValue } from "../../components/sso/yaml";

/**
 * Checks blueprint entries against Authentik's own API request models, from @goauthentik/api at
 * the version of the pinned Authentik image: the JSON converters name every field a model has
 * (so a misspelt field is one the model drops), `instanceOf…` names the required ones, and the
 * enums list the values a choice field takes. The blueprint importer feeds the same fields to the
 * same serializers.
 */

interface RequestModel {
    name: string;
    /** The fields as JSON after a round trip through the model: every field of the model is a key. */
    roundTrip: (json: Readonly<Record<string, BlueprintValue>>) => object;
    /** Whether every required field is there (the model's `instanceOf…`). */
    complete: (json: Readonly<Record<string, BlueprintValue>>) => boolean;
    /** Source of the FromJSON converter (maps each camelCase field to its JSON name). */
    fromJSONSource: string;
    /** Source of `instanceOf…` (names the required fields). */
    instanceOfSource: string;
    /** snake_case field → the enum object of its allowed values. */
    enums?: Record<string, Record<string, string>>;
    /** snake_case list field → the model of each item. */
    items?: Record<string, RequestModel>;
}

function requestModel<T extends object>(
    name: string,
    fromJSON: (json: unknown, ignoreDiscriminator: boolean) => T,
    toJSON: (value: T) => unknown,
    instanceOf: (value: object) => value is T,
    extra: Pick<RequestModel, "enums" | "items"> = {},
): RequestModel {
    return {
        name,
        roundTrip: (json) => toJSON(fromJSON(json, false)) as object,
        complete: (json) => instanceOf(fromJSON(json, false)),
        fromJSONSource: String(fromJSON),
        instanceOfSource: String(instanceOf),
        ...extra,
    };
}

const redirectUri = requestModel(
    "RedirectURIRequest",
    api.RedirectURIRequestFromJSONTyped,
    api.RedirectURIRequestToJSONTyped,
    api.instanceOfRedirectURIRequest,
    { enums: { matching_mode: api.MatchingModeEnum } },
);

/** The request model of each blueprint model the program writes. */
export const requestModels: Readonly<Record<string, RequestModel>> = {
    "authentik_core.group": requestModel(
        "GroupRequest",
        api.GroupRequestFromJSONTyped,
        api.GroupRequestToJSONTyped,
        api.instanceOfGroupRequest,
    ),
    "authentik_providers_proxy.proxyprovider": requestModel(
        "ProxyProviderRequest",
        api.ProxyProviderRequestFromJSONTyped,
        api.ProxyProviderRequestToJSONTyped,
        api.instanceOfProxyProviderRequest,
        { enums: { mode: api.ProxyMode } },
    ),
    "authentik_providers_oauth2.oauth2provider": requestModel(
        "OAuth2ProviderRequest",
        api.OAuth2ProviderRequestFromJSONTyped,
        api.OAuth2ProviderRequestToJSONTyped,
        api.instanceOfOAuth2ProviderRequest,
        {
            enums: { client_type: api.ClientTypeEnum, sub_mode: api.SubModeEnum, issuer_mode: api.IssuerModeEnum },
            items: { redirect_uris: redirectUri },
        },
    ),
    "authentik_core.application": requestModel(
        "ApplicationRequest",
        api.ApplicationRequestFromJSONTyped,
        api.ApplicationRequestToJSONTyped,
        api.instanceOfApplicationRequest,
        { enums: { policy_engine_mode: api.PolicyEngineMode } },
    ),
    "authentik_policies.policybinding": requestModel(
        "PolicyBindingRequest",
        api.PolicyBindingRequestFromJSONTyped,
        api.PolicyBindingRequestToJSONTyped,
        api.instanceOfPolicyBindingRequest,
    ),
    "authentik_outposts.outpost": requestModel(
        "OutpostRequest",
        api.OutpostRequestFromJSONTyped,
        api.OutpostRequestToJSONTyped,
        api.instanceOfOutpostRequest,
        { enums: { type: api.OutpostTypeEnum } },
    ),
};

/** The generator's own placeholder for a value outside the API's enum (never a real choice). */
const unknownDefault = "11184809";

/** The JSON (snake_case) name of each model field, read from the model's own FromJSON converter. */
function snakeNames(model: RequestModel): Map<string, string> {
    const pairs = [...model.fromJSONSource.matchAll(/'(\w+)':[^\n]*?json\['(\w+)'\]/g)];
    return new Map(pairs.map((match) => [match[1] ?? "", match[2] ?? ""]));
}

/** Required fields, as `instanceOf…` checks them (camelCase), in their JSON names. */
function requiredFields(model: RequestModel): string[] {
    const names = snakeNames(model);
    return [...model.instanceOfSource.matchAll(/'(\w+)' in value/g)].map((match) => {
        const camel = match[1] ?? "";
        return names.get(camel) ?? camel;
    });
}

/** Every problem of one object against its request model; `partial` skips the required fields (lookups, deletes). */
export function fieldProblems(
    model: RequestModel,
    fields: Readonly<Record<string, BlueprintValue>>,
    partial: boolean,
    where: string,
): string[] {
    const problems: string[] = [];
    // The field names the model has: a round trip through its converters keeps every one as a key
    // (a required list it maps over gets an empty stand-in, so partial fields convert too).
    const standIns = Object.fromEntries(requiredFields(model).map((field) => [field, []]));
    const known = Object.keys(model.roundTrip({ ...standIns, ...fields }));
    for (const field of Object.keys(fields).filter((name) => !known.includes(name))) {
        problems.push(`${where}: ${model.name} has no field ${field}`);
    }
    if (!partial && !model.complete(fields)) {
        const missing = requiredFields(model).filter((field) => fields[field] === undefined);
        problems.push(`${where}: ${model.name} requires ${missing.join(", ")}`);
    }
    for (const [field, values] of Object.entries(model.enums ?? {})) {
        const value = fields[field];
        const allowed = Object.values(values).filter((choice) => choice !== unknownDefault);
        if (typeof value === "string" && !allowed.includes(value)) {
            problems.push(
                `${where}: ${model.name}.${field} ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`,
            );
        }
    }
    for (const [field, itemModel] of Object.entries(model.items ?? {})) {
        const value = fields[field];
        if (!Array.isArray(value)) continue;
        (value as readonly BlueprintValue[]).forEach((item, i) => {
            if (isMap(item)) problems.push(...fieldProblems(itemModel, item, partial, `${where}.${field}[${i}]`));
            else if (!(item instanceof BlueprintTag)) problems.push(`${where}.${field}[${i}]: not an object`);
        });
    }
    return problems;
}

/**
 * Problems of a blueprint entry: its model must be one the program knows; the fields Authentik
 * receives (identifiers merged into attrs, as the importer does) must be the model's; a created or
 * present entry needs every required field; a deleted one only names fields that exist.
 */
export function entryProblems(entry: BlueprintEntry, index: number): string[] {
    const where = `entries[${index}] ${entry.model}`;
    const model = requestModels[entry.model];
    if (model === undefined) return [`${where}: no request model known for ${entry.model}`];
    const fields = { ...entry.attrs, ...entry.identifiers };
    return fieldProblems(model, fields, entry.state === "absent", where);
}
