/**
 * MongoDB wire protocol framing for the test double: just the two request opcodes a modern driver sends.
 *
 * - OP_MSG (2013): flagBits (checksumPresent, moreToCome, exhaustAllowed), one kind-0 body and any number
 *   of kind-1 document sequences (the driver sends `documents`/`updates`/`deletes` that way); the
 *   sequences are folded into the body under their identifier, as the server does.
 * - OP_QUERY (2004): only for the legacy handshake the driver opens every connection with; answered
 *   with OP_REPLY (1).
 * Anything else (OP_COMPRESSED, the removed legacy opcodes) is a protocol error: the connection is closed.
 */
import { type Document, deserialize, serialize } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;
const EXHAUST_ALLOWED = 1 << 16;
/** Bits 0-15 are "required": a receiver must reject a message carrying one it does not know. */
const KNOWN_REQUIRED = CHECKSUM_PRESENT | MORE_TO_COME;

export const MAX_MESSAGE_BYTES = 48_000_000;

export class ProtocolError extends Error {}

export type Request =
  | { opCode: typeof OP_MSG; requestId: number; body: Document; moreToCome: boolean }
  | { opCode: typeof OP_QUERY; requestId: number; collection: string; body: Document };

/** Splits complete messages off the front of `buffer`; returns them and the unconsumed rest. */
export function takeMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readInt32LE(offset);
    if (length < 16 || length > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${length}`);
    if (buffer.length - offset < length) break;
    messages.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

function readDocument(buf: Buffer, offset: number): [Document, number] {
  const size = buf.readInt32LE(offset);
  return [deserialize(buf.subarray(offset, offset + size)), offset + size];
}

export function parseMessage(msg: Buffer): Request {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const unknown = flags & 0xffff & ~KNOWN_REQUIRED;
    if (unknown) throw new ProtocolError(`unsupported required OP_MSG flag bits 0x${unknown.toString(16)}`);
    if (flags & ~(0xffff | EXHAUST_ALLOWED))
      throw new ProtocolError(`unknown OP_MSG flag bits 0x${flags.toString(16)}`);
    const end = flags & CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    if (flags & CHECKSUM_PRESENT && crc32c(msg.subarray(0, end)) !== msg.readUInt32LE(end))
      throw new ProtocolError('OP_MSG checksum mismatch');
    let body: Document | undefined;
    const sequences: [string, Document[]][] = [];
    let offset = 20;
    while (offset < end) {
      const kind = msg.readUInt8(offset++);
      if (kind === 0) {
        if (body) throw new ProtocolError('OP_MSG with more than one kind-0 section');
        [body, offset] = readDocument(msg, offset);
      } else if (kind === 1) {
        const sectionEnd = offset + msg.readInt32LE(offset);
        const [identifier, start] = readCString(msg, offset + 4);
        let at = start;
        const docs: Document[] = [];
        while (at < sectionEnd) {
          let doc: Document;
          [doc, at] = readDocument(msg, at);
          docs.push(doc);
        }
        sequences.push([identifier, docs]);
        offset = sectionEnd;
      } else {
        throw new ProtocolError(`unsupported OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new ProtocolError('OP_MSG without a kind-0 body');
    for (const [identifier, docs] of sequences) {
      if (identifier in body) throw new ProtocolError(`'${identifier}' given both in the body and as a sequence`);
      body[identifier] = docs;
    }
    return { opCode, requestId, body, moreToCome: (flags & MORE_TO_COME) !== 0 };
  }
  if (opCode === OP_QUERY) {
    const [collection, at] = readCString(msg, 20);
    let [body] = readDocument(msg, at + 8); // skip numberToSkip, numberToReturn
    if (body.$query) body = { ...body.$query }; // legacy wrapped form ({$query, $readPreference})
    return { opCode, requestId, collection, body };
  }
  throw new ProtocolError(`unsupported opcode ${opCode}`);
}

const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32C (Castagnoli), the OP_MSG checksum. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId++, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** An OP_MSG reply: flagBits 0 and one kind-0 section. */
export function encodeMsg(responseTo: number, doc: Document): Buffer {
  const body = serialize(doc);
  const head = Buffer.alloc(5); // flagBits (0) + section kind (0)
  return Buffer.concat([header(16 + 5 + body.length, responseTo, OP_MSG), head, body]);
}

/** An OP_REPLY to the legacy handshake: one document, no cursor. */
export function encodeReply(responseTo: number, doc: Document): Buffer {
  const body = serialize(doc);
  const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fields.writeInt32LE(1, 16);
  return Buffer.concat([header(16 + 20 + body.length, responseTo, OP_REPLY), fields, body]);
}
