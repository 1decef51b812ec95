// placeholder, being written
export {};
