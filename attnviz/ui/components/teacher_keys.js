// Class mode: this browser keeps the teacher keys of the classes it started (localStorage, never the page),
// so a teacher who reloads, or whose replica restarted, is still the teacher without typing a key.
// data: {code, key, known}: a key to keep for a class (null when none) and the keys the server already has.
// state "keys": {code: key} of every class this browser teaches, sent only when it differs from "known".
const PREFIX = "attnviz-teacher:";

function storedKeys(storage) {
  const keys = {};
  for (let i = 0; i < storage.length; i += 1) {
    const name = storage.key(i);
    if (name && name.startsWith(PREFIX)) keys[name.slice(PREFIX.length)] = storage.getItem(name);
  }
  return keys;
}

function canonical(keys) {
  return JSON.stringify(Object.keys(keys || {}).sort().map((code) => [code, keys[code]]));
}

export default function (component) {
  const { data, setStateValue } = component;
  const storage = window.localStorage;
  if (data && data.code && data.key) storage.setItem(PREFIX + data.code, data.key);
  for (const code of (data && data.forget) || []) storage.removeItem(PREFIX + code);
  const keys = storedKeys(storage);
  if (canonical(keys) !== canonical(data && data.known)) setStateValue("keys", keys);
}
