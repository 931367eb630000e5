// Hand-written stand-in for the part of the generated `@prisma/client` that models/*.ts use, so the
// example is type-checked in this repo's tests without `prisma generate` (its engines cannot be
// downloaded there). Shapes follow what Prisma 6 generates for schema.prisma; in a real app, delete
// this file: the generated client is the source of truth.
declare module '@prisma/client' {
  export interface AuthUser {
    id: string;
    email: string;
    passwordHash: string;
    role: string;
    tokenVersion: number;
    createdAt: Date;
  }

  export interface AuthRefreshToken {
    tokenHash: string;
    familyId: string;
    userId: string;
    expiresAt: Date;
    familyExpiresAt: Date;
    tokenVersion: number;
    usedAt: Date | null;
    revokedAt: Date | null;
    replacedBy: string | null;
    createdAt: Date;
  }

  export interface AuthDeniedAccessToken {
    jti: string;
    expiresAt: Date;
  }

  export namespace Prisma {
    class PrismaClientKnownRequestError extends Error {
      code: string;
      meta?: Record<string, unknown>;
      clientVersion: string;
    }

    interface BatchPayload {
      count: number;
    }

    type NullableDateTimeFilter = Date | null;
    interface DateTimeFilter {
      gt?: Date;
      gte?: Date;
      lt?: Date;
      lte?: Date;
    }
    interface IntFieldUpdateOperations {
      increment?: number;
      decrement?: number;
      set?: number;
    }

    interface AuthUserWhereUniqueInput {
      id?: string;
      email?: string;
    }
    interface AuthUserCreateInput {
      id?: string;
      email: string;
      passwordHash: string;
      role?: string;
      tokenVersion?: number;
      createdAt?: Date;
    }
    interface AuthUserWhereInput {
      id?: string;
      email?: string;
      passwordHash?: string;
    }
    interface AuthUserUpdateManyInput {
      email?: string;
      passwordHash?: string;
      role?: string;
      tokenVersion?: number | IntFieldUpdateOperations;
    }

    interface AuthRefreshTokenWhereInput {
      tokenHash?: string;
      familyId?: string;
      userId?: string;
      expiresAt?: Date | DateTimeFilter;
      usedAt?: NullableDateTimeFilter;
      revokedAt?: NullableDateTimeFilter;
    }
    interface AuthRefreshTokenUncheckedCreateInput {
      tokenHash: string;
      familyId: string;
      userId: string;
      expiresAt: Date;
      familyExpiresAt: Date;
      tokenVersion: number;
      usedAt?: Date | null;
      revokedAt?: Date | null;
      replacedBy?: string | null;
      createdAt?: Date;
    }
    interface AuthRefreshTokenUpdateManyInput {
      usedAt?: Date | null;
      revokedAt?: Date | null;
      replacedBy?: string | null;
    }

    interface AuthDeniedAccessTokenWhereInput {
      jti?: string;
      expiresAt?: Date | DateTimeFilter;
    }
    interface AuthDeniedAccessTokenCreateManyInput {
      jti: string;
      expiresAt: Date;
    }
  }

  interface AuthUserDelegate {
    create(args: { data: Prisma.AuthUserCreateInput }): Promise<AuthUser>;
    findUnique(args: { where: Prisma.AuthUserWhereUniqueInput }): Promise<AuthUser | null>;
    updateMany(args: { where: Prisma.AuthUserWhereInput; data: Prisma.AuthUserUpdateManyInput }): Promise<Prisma.BatchPayload>;
  }

  interface AuthRefreshTokenDelegate {
    create(args: { data: Prisma.AuthRefreshTokenUncheckedCreateInput }): Promise<AuthRefreshToken>;
    findUnique(args: { where: { tokenHash: string } }): Promise<AuthRefreshToken | null>;
    updateMany(args: {
      where: Prisma.AuthRefreshTokenWhereInput;
      data: Prisma.AuthRefreshTokenUpdateManyInput;
    }): Promise<Prisma.BatchPayload>;
    /** Prisma 6.2+: one UPDATE ... RETURNING on PostgreSQL. */
    updateManyAndReturn(args: {
      where: Prisma.AuthRefreshTokenWhereInput;
      data: Prisma.AuthRefreshTokenUpdateManyInput;
    }): Promise<AuthRefreshToken[]>;
    deleteMany(args: { where: Prisma.AuthRefreshTokenWhereInput }): Promise<Prisma.BatchPayload>;
  }

  interface AuthDeniedAccessTokenDelegate {
    createMany(args: {
      data: Prisma.AuthDeniedAccessTokenCreateManyInput[];
      skipDuplicates?: boolean;
    }): Promise<Prisma.BatchPayload>;
    findUnique(args: { where: { jti: string } }): Promise<AuthDeniedAccessToken | null>;
    deleteMany(args: { where: Prisma.AuthDeniedAccessTokenWhereInput }): Promise<Prisma.BatchPayload>;
  }

  export class PrismaClient {
    constructor(options?: { datasourceUrl?: string });
    $connect(): Promise<void>;
    $disconnect(): Promise<void>;
    /** A tagged template: every `${value}` is sent as a parameter, never spliced into the SQL. */
    $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>;
    readonly authUser: AuthUserDelegate;
    readonly authRefreshToken: AuthRefreshTokenDelegate;
    readonly authDeniedAccessToken: AuthDeniedAccessTokenDelegate;
  }
}
