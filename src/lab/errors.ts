// Errors of the lab a user can act on.
export class LabError extends Error {}
