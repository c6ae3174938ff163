// The device allow list of a group: rules, their eBPF program, loading and attaching.
export { compileDeviceRules, evaluateDeviceProgram } from './compile';
export { attachDevicePolicy, DEVICE_ATTACH_FLAGS, DeviceProgramError, deviceProgramFd, queryDevicePrograms } from './program';
export { DEFAULT_DEVICE_RULES, formatRule, normalizeAccess, ruleProblem, splitDev, type DeviceRule, type DeviceType } from './rules';
