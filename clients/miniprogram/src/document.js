/** What a GraphQL document is, read without a parser: operation type, name, declared variables. */
'use strict';

function stripComments(doc) {
  // `#` starts a comment outside strings; documents here carry no `#` inside strings.
  return doc.replace(/"""[\s\S]*?"""|"(?:\\.|[^"\\])*"|#[^\n\r]*/g, function (m) { return m.charAt(0) === '#' ? '' : m; });
}

function skipBlock(text, start) {
  var depth = 0;
  for (var i = start; i < text.length; i++) {
    var ch = text.charAt(i);
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** {type: 'query'|'mutation'|'subscription', name: string|null} of the first operation. */
function describe(doc) {
  var text = stripComments(String(doc));
  var pos = 0;
  while (pos < text.length) {
    var rest = text.slice(pos);
    var lead = rest.match(/^[\s,]*/)[0].length;
    rest = rest.slice(lead);
    pos += lead;
    if (rest.charAt(0) === '{') return { type: 'query', name: null };
    var m = rest.match(/^(query|mutation|subscription|fragment)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/);
    if (!m) break;
    if (m[1] !== 'fragment') return { type: m[1], name: m[2] || null };
    pos = skipBlock(text, pos + rest.indexOf('{'));
  }
  return { type: 'query', name: null };
}

function declaresVariable(doc, name) {
  var bare = stripComments(String(doc)).replace(/"""[\s\S]*?"""|"(?:\\.|[^"\\])*"/g, '""');
  return new RegExp('\\$' + name + '\\s*:').test(bare);
}

module.exports = { describe: describe, declaresVariable: declaresVariable };
