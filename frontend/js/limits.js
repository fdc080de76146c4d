// Size limits of the room's commands, as the server enforces them (facilitation/limits.py;
// tests/test_limits.py keeps the two equal). Lengths in characters, durations in seconds.
export const LIMITS = Object.freeze({
  text: 2000,
  title: 200,
  description: 2000,
  name: 80,
  id: 200,
  reason: 500,
  question: 500,
  option: 200,
  options: 50,
  score: 5,
  language: 35,
  duration_s: 86400,
  extend_s: 3600,
  turn_s: 3600,
  int: 2147483647,
  participants: 100000,
  dots: 100,
  proposal: 200,
  presenters: 20,
  cheer_interval_s: 1,
});
