/**
 * @community-plus/miniprogram — type declarations of the SDK's API. Operation result and
 * variable types are generated from schema/core.graphql (types/generated.d.ts, by
 * graphql-codegen) and attached to each operation of `operations` (types/operations.d.ts).
 */
import type * as Operations from './operations';
import type { BindPhoneMutation, SessionFieldsFragment } from './generated';

export * from './generated';

/** A GraphQL document string that knows its result and variables types. */
export type Operation<TResult = Record<string, unknown>, TVariables = Record<string, unknown>> = string & {
  readonly __result?: TResult;
  readonly __variables?: TVariables;
};

export type ResultOf<T> = T extends Operation<infer R, any> ? R : never;
export type VariablesOf<T> = T extends Operation<any, infer V> ? V : never;

export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  extensions?: {
    code?: string;
    /** For UNAUTHENTICATED: TOKEN_EXPIRED, TOKEN_INVALID, SESSION_ENDED…; for FORBIDDEN: BINDING_REQUIRED… */
    reason?: string;
    fields?: Array<{ path: string; message: string }>;
    retryAfter?: number;
    requestId?: string;
    [key: string]: unknown;
  };
}

export interface ExecutionResult<TData = Record<string, unknown>> {
  data: TData | null;
  errors?: GraphQLErrorEntry[];
  extensions?: Record<string, unknown>;
  statusCode: number;
}

/** Who is logged in (the `viewer` of the login payloads). */
export type Viewer = SessionFieldsFragment['viewer'];

export interface SessionState {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds, as the client computed it from expiresIn. */
  expiresAt: number;
  viewer: Viewer | null;
  kind: 'wechat' | 'password';
}

export interface SocketOptions {
  /** Reconnect attempts after a drop (default: unlimited). */
  retryAttempts?: number;
  /** ms before reconnect attempt n (default: 1 s, 2 s, 4 s… up to 30 s, with jitter). */
  retryDelay?: (attempt: number) => number;
  /** ms to wait for connection_ack (default 10000). */
  ackTimeout?: number;
  /** ms between keep-alive pings; 0 turns them off (default 20000). */
  keepAlive?: number;
  /** ms to wait for a pong before dropping the socket (default 10000). */
  pongTimeout?: number;
  /** ms to keep an idle socket open after the last subscription ends (default 0). */
  lazyCloseTimeout?: number;
}

export interface ClientOptions {
  /** The server's base URL, e.g. https://api.example.com (its domain whitelisted in the mini-program). */
  url: string;
  /** Defaults to the global `wx`. */
  wx?: WechatMiniprogramLike;
  graphqlUrl?: string;
  uploadUrl?: string;
  /** Default: the GraphQL URL with ws(s)://. */
  subscriptionUrl?: string;
  /** ms, per request (default 60000, WeChat's limit). */
  timeout?: number;
  /** Requests in flight at once (default 10, WeChat's limit). */
  maxConcurrentRequests?: number;
  maxConcurrentUploads?: number;
  /** Retries on 429/503 and network failures (default 3). */
  maxRetries?: number;
  /** A longer Retry-After is not waited for: the error is returned (default 30000 ms). */
  maxRetryDelay?: number;
  /** Automatic persisted queries (default true). */
  persistedQueries?: boolean;
  /** wx storage key of the session (default 'communityPlus.session'). */
  storageKey?: string;
  /** Log in with wx.login when a request needs a session and none is stored (default true). */
  autoLogin?: boolean;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  socket?: SocketOptions;
  /** For tests: how to wait (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  /** Send the access token (default true). */
  auth?: boolean;
  /** On UNAUTHENTICATED: 'full' (refresh, or log in again), 'refresh' only, or false. */
  recover?: 'full' | 'refresh' | false;
  /** Mutations: the key of this logical action (default: a new one per call, reused by its retries). */
  idempotencyKey?: string;
  /** X-Community-Id for this call only (null: none). */
  communityId?: string | null;
  headers?: Record<string, string>;
  timeout?: number;
  maxRetries?: number;
  operationName?: string;
}

export interface UploadProgress {
  progress: number;
  totalBytesSent: number;
  totalBytesExpectedToSend: number;
}

export interface UploadOptions {
  /** A temp file path from wx.chooseMedia / wx.chooseMessageFile. */
  filePath: string;
  purpose: 'photo' | 'document' | 'video';
  /** Multipart field name (default 'file'). */
  name?: string;
  /** Staff: the community the file belongs to. */
  communityId?: string;
  onProgress?: (progress: UploadProgress) => void;
  timeout?: number;
  maxRetries?: number;
}

export interface UploadedFile {
  id: string;
  purpose: string;
  contentType: string;
  size: number;
  name: string | null;
  url: string | null;
  thumbnailUrl: string | null;
  createdAt: string;
}

export interface Sink<TData> {
  next?: (result: { data?: TData | null; errors?: GraphQLErrorEntry[]; extensions?: Record<string, unknown> }) => void;
  error?: (error: CommunityPlusError) => void;
  complete?: () => void;
}

export interface SubscribeOptions<TData = any> {
  /** Resume after a reconnect from the last event seen; false turns it off. */
  resume?: false | {
    /** Variable the cursor is passed in (default 'after'). */
    variable?: string;
    /** The cursor of an event (default: the root field's `cursor`, or extensions.cursor). */
    cursor?: (result: { data?: TData | null; extensions?: Record<string, unknown> }) => string | null | undefined;
  };
  /** Start after this cursor. */
  cursor?: string;
}

export interface SubscribeMessageAnswer {
  accepted: string[];
  rejected: string[];
  /** WeChat's answer: template id → 'accept' | 'reject' | 'ban' | 'filter'. */
  result: Record<string, string>;
}

export type BindPhonePayload = BindPhoneMutation['bindPhone'];

/** The event of `<button open-type="getPhoneNumber" bindgetphonenumber="…">`. */
export interface PhoneNumberEvent {
  detail: { code?: string; encryptedData?: string; iv?: string; errMsg?: string };
}

export type ClientEvent = 'session' | 'sessionEnded' | 'retry';

export declare class Client {
  constructor(options: ClientOptions);
  readonly url: string;
  readonly graphqlUrl: string;
  readonly uploadUrl: string;
  readonly subscriptionUrl: string;
  readonly timeout: number;
  readonly viewer: Viewer | null;
  readonly isLoggedIn: boolean;
  readonly communityId: string | null;
  readonly subscriptions: SubscriptionClient;

  on(event: 'session', listener: (state: SessionState | null) => void): () => void;
  on(event: 'sessionEnded', listener: (event: { reason: string; error?: unknown }) => void): () => void;
  on(event: 'retry', listener: (event: { attempt: number; delay: number; statusCode?: number; operationName?: string;
    idempotencyKey?: string | null; error?: NetworkError }) => void): () => void;

  setCommunity(communityId: string | null): void;
  login(): Promise<Viewer>;
  loginWithPassword(username: string, password: string): Promise<Viewer>;
  bindPhone(codeOrEvent: string | PhoneNumberEvent, options?: { communityId?: string; name?: string }): Promise<BindPhonePayload>;
  logout(): Promise<true>;

  query<R, V>(operation: Operation<R, V>, variables?: V, options?: RequestOptions): Promise<R>;
  mutate<R, V>(operation: Operation<R, V>, variables?: V, options?: RequestOptions): Promise<R>;
  execute<R, V>(operation: Operation<R, V>, variables?: V, options?: RequestOptions): Promise<ExecutionResult<R>>;
  hashOf(document: string): string;

  upload(options: UploadOptions): Promise<UploadedFile>;
  subscribe<R, V>(operation: Operation<R, V>, variables: V, sink: Sink<R>, options?: SubscribeOptions<R>): () => void;

  loadSubscriptionTemplates(): Promise<Record<string, string>>;
  requestSubscribeMessage(keys: string | string[]): Promise<SubscribeMessageAnswer>;
}

export declare class SubscriptionClient {
  constructor(options: SocketOptions & {
    wx: WechatMiniprogramLike;
    url: string;
    headers?: () => Record<string, string> | Promise<Record<string, string>>;
    connectionParams?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
    onAuthFailure?: () => boolean | Promise<boolean>;
  });
  readonly state: 'idle' | 'connecting' | 'open' | 'ready';
  readonly retries: number;
  on(event: 'connecting' | 'connected' | 'closed' | 'reconnecting', listener: (event: any) => void): () => void;
  subscribe(payload: { query: string; variables?: Record<string, unknown>; operationName?: string;
    extensions?: Record<string, unknown> }, sink: Sink<any>, options?: SubscribeOptions): () => void;
  dispose(): void;
}

export declare class CommunityPlusError extends Error {
  /** The server's extensions.code, or NETWORK_ERROR, TIMEOUT, BAD_RESPONSE, PHONE_DENIED, SOCKET_CLOSED… */
  code: string;
  statusCode?: number;
  retryAfter?: number;
  closeCode?: number;
}

export declare class GraphQLRequestError extends CommunityPlusError {
  errors: GraphQLErrorEntry[];
  extensions: NonNullable<GraphQLErrorEntry['extensions']>;
  reason?: string;
  data?: unknown;
}

export declare class NetworkError extends CommunityPlusError {
  errMsg: string;
  timeout: boolean;
}

/** The parts of `wx` the SDK calls. */
export interface WechatMiniprogramLike {
  request(options: any): any;
  uploadFile(options: any): any;
  connectSocket(options: any): any;
  login(options: any): void;
  requestSubscribeMessage(options: any): void;
  getStorageSync(key: string): any;
  setStorageSync(key: string, value: any): void;
  removeStorageSync(key: string): void;
}

export declare function createClient(options: ClientOptions): Client;
export declare const operations: typeof Operations;
export declare const CLOSE_CODES: Record<string, number>;
export declare function sha256(text: string): string;
