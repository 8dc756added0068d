/**
 * What only a stack with services on k3s needs, in the one module index.ts loads for such a stack
 * alone: `@pulumi/kubernetes` and the renderer added about 0.05 s to every other stack's preview
 * (the lab, prod) for resources they never register.
 */
export { K3sCluster } from "../../hosts/k3s";
export { ClusterServices } from "./index";
