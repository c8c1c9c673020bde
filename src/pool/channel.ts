// Name and messages of the BroadcastChannel on which the main thread tells every pool worker
// about model lifecycle events (Piscina has no broadcast of its own).
export const MODEL_CHANNEL = 'infergate:models';

export type ModelChannelMessage = { kind: 'unload'; id: string };
