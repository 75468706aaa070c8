/** @headstart/core/node — Node-only parts: file-system discovery, sharp decoding, dataset check. */
export {};
