/** `ended`: it was connected and is over; `failed`: it never connected (refused, declined, cancelled). */
export type CallState = 'calling' | 'ringing' | 'connected' | 'ended' | 'failed';
