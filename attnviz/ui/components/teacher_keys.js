// Class mode: this browser keeps the teacher keys of the classes it teaches in cookies of its own
// (attnviz_teacher_<CODE>), never on the page. The server reads them with the page's first request
// (st.context.cookies), so a teacher who reloads, or whose replica restarted, is the teacher again from
// the first run, without typing a key.
// data: {code, key, max_age (s), forget: [codes]}: a key to keep (none when code is empty), keys to drop.
const PREFIX = "attnviz_teacher_";

function setCookie(name, value, maxAge) {
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${maxAge}; samesite=strict`;
}

export default function (component) {
  const { data } = component;
  if (!data) return;
  if (data.code && data.key) setCookie(PREFIX + data.code, data.key, data.max_age);
  for (const code of data.forget || []) setCookie(PREFIX + code, "", 0);
}
