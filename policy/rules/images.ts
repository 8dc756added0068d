import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { imagePinProblem } from "../../catalog/policy";
import { plainOf } from "../wire";
import { containerType, enforcementLevel, remoteImageType, text } from "./read";

export function imagePolicies(): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        {
            name: "images-pinned",
            description: "Every image is pinned: a version tag other than latest, or a digest.",
            enforcementLevel,
            validateResource: (args, report) => {
                const props = plainOf(args.props);
                const reference =
                    args.type === remoteImageType
                        ? text(props.name)
                        : args.type === containerType
                          ? text(props.image)
                          : undefined;
                // A container runs a RemoteImage's image id, which pins by content.
                if (reference === undefined || (args.type === containerType && reference.startsWith("sha256:"))) return;
                const problem = imagePinProblem(reference);
                if (problem !== undefined) report(`${args.name}: image "${reference}" ${problem}; pin a version tag`);
            },
        },
        {
            name: "images-through-remote-image",
            description: "Every container runs an image pulled by a RemoteImage on the container's own provider.",
            enforcementLevel,
            validateStack: (args, report) => {
                for (const container of args.resources.filter((resource) => resource.type === containerType)) {
                    const name = text(plainOf(container.props).name) ?? container.name;
                    // The engine says which resources feed `image`; without property dependencies, any dependency counts.
                    const feeding =
                        Object.keys(container.propertyDependencies).length > 0
                            ? (container.propertyDependencies.image ?? [])
                            : container.dependencies;
                    const images = feeding.filter((resource) => resource.type === remoteImageType);
                    if (images.length === 0) {
                        report(
                            `${name}: its image does not come from a RemoteImage; pull it with docker.RemoteImage on ` +
                                "the same provider and pass its imageId",
                            container.urn,
                        );
                    }
                    for (const image of images.filter((image) => image.provider?.urn !== container.provider?.urn)) {
                        report(
                            `${name}: its image is pulled by ${image.name} through ${image.provider?.name ?? "another provider"}, ` +
                                `not through the container's provider ${container.provider?.name ?? "(none)"}`,
                            container.urn,
                        );
                    }
                }
            },
        },
    ];
}
