"""``OrderSigner``: one wallet's orders, built and signed on a short hot path.

Who is maker and who signs depends on the wallet (:class:`~.orders.SignatureType`):

* ``EOA``: the key's own address is maker and signer;
* ``POLY_PROXY``, ``POLY_GNOSIS_SAFE``: the funds sit in a proxy or Safe wallet (the
  "funder"), which is the maker; the key's address signs;
* ``POLY_1271``: a deposit wallet is both maker and signer; the key behind it signs a
  wrapped digest (:mod:`.deposit_wallet`).

The signer precomputes both exchanges' domain separators and its addresses' words, so
signing an order is a few ``bytes`` concatenations, two keccak-256 calls and one secp256k1
signature, with nothing generic on the way.
"""

from __future__ import annotations

from agbotkit.errors import SigningError
from agbotkit.model.books import Side
from agbotkit.venues.polymarket.deposit_wallet import poly_1271_digest, poly_1271_signature
from agbotkit.venues.polymarket.eip712 import (
    address_word,
    keccak256,
    typed_data_digest,
    uint_word,
)
from agbotkit.venues.polymarket.keys import SigningKey, checksum_address
from agbotkit.venues.polymarket.orders import (
    ORDER_TYPEHASH,
    POLYGON,
    SIDE_WORD,
    ZERO_BYTES32,
    Exchanges,
    OrderV2,
    SignatureType,
    SignedOrder,
    bytes32_field,
    exchange_domain,
    random_salt,
)

__all__ = ["OrderSigner"]

VENUE = "polymarket"


class OrderSigner:
    """Builds and signs V2 orders for one wallet on one chain.

    Args:
        key: the private key that signs.
        signature_type: the wallet kind.
        funder: the address holding the funds: the proxy or Safe for ``POLY_PROXY`` and
            ``POLY_GNOSIS_SAFE``, the deposit wallet for ``POLY_1271``; ``None`` (or the
            key's own address) for ``EOA``.
        exchanges: the chain and its exchange contracts.

    Raises:
        SigningError: when the wallet kind and the funder do not go together.

    Attributes:
        maker: the address every order of this signer names as maker.
        signer: the address every order names as signer.
    """

    def __init__(
        self,
        key: SigningKey,
        *,
        signature_type: SignatureType = SignatureType.EOA,
        funder: str | None = None,
        exchanges: Exchanges = POLYGON,
    ) -> None:
        self._key = key
        self.signature_type = SignatureType(signature_type)
        self.exchanges = exchanges
        try:
            funder = None if funder is None else checksum_address(funder)
        except ValueError as error:
            raise SigningError(VENUE, f"funder: {error}") from None
        if self.signature_type is SignatureType.EOA:
            if funder not in (None, key.address):
                raise SigningError(VENUE, "an EOA wallet trades its own funds: give no funder")
            self.maker = self.signer = key.address
        elif funder is None:
            raise SigningError(
                VENUE, f"signature type {self.signature_type.name} needs the funder's address"
            )
        elif self.signature_type is SignatureType.POLY_1271:
            self.maker = self.signer = funder
        else:
            self.maker, self.signer = funder, key.address
        self._maker_word = address_word(self.maker)
        self._signer_word = address_word(self.signer)
        self._type_word = uint_word(int(self.signature_type), 8)
        self._domains = {
            contract: exchange_domain(exchanges.chain_id, contract)
            for contract in (exchanges.exchange, exchanges.neg_risk_exchange)
        }

    def build(
        self,
        *,
        token_id: str,
        side: Side,
        maker_amount: int,
        taker_amount: int,
        timestamp_ms: int,
        salt: int | None = None,
        expiration: int = 0,
        metadata: str = ZERO_BYTES32,
        builder: str = ZERO_BYTES32,
    ) -> OrderV2:
        """An unsigned order of this wallet (maker, signer and signature type filled in).

        ``salt`` defaults to :func:`random_salt`.
        """
        return OrderV2(
            salt=random_salt() if salt is None else salt,
            maker=self.maker,
            signer=self.signer,
            token_id=token_id,
            maker_amount=maker_amount,
            taker_amount=taker_amount,
            side=side,
            signature_type=self.signature_type,
            timestamp_ms=timestamp_ms,
            metadata=metadata,
            builder=builder,
            expiration=expiration,
        )

    def sign(self, order: OrderV2, *, neg_risk: bool) -> SignedOrder:
        """Sign an order of this wallet for the exchange its market's ``neg_risk`` picks.

        Raises:
            SigningError: when the order's maker, signer or signature type are not this
                wallet's, or a field does not fit its type.
        """
        if (
            order.maker != self.maker
            or order.signer != self.signer
            or order.signature_type is not self.signature_type
        ):
            raise SigningError(
                VENUE, "the order's maker, signer or signature type are not this wallet's"
            )
        contract = self.exchanges.contract(neg_risk)
        domain = self._domains[contract]
        try:
            struct_hash = keccak256(
                ORDER_TYPEHASH
                + order.salt.to_bytes(32, "big")
                + self._maker_word
                + self._signer_word
                + int(order.token_id).to_bytes(32, "big")
                + order.maker_amount.to_bytes(32, "big")
                + order.taker_amount.to_bytes(32, "big")
                + SIDE_WORD[order.side]
                + self._type_word
                + order.timestamp_ms.to_bytes(32, "big")
                + bytes32_field(order.metadata)
                + bytes32_field(order.builder)
            )
        except (OverflowError, ValueError) as error:
            raise SigningError(VENUE, f"order field does not fit its type: {error}") from None
        digest = typed_data_digest(domain, struct_hash)
        if self.signature_type is SignatureType.POLY_1271:
            wrapped = poly_1271_digest(domain, struct_hash, self.exchanges.chain_id, self.signer)
            signature = poly_1271_signature(self._key.sign_digest(wrapped), domain, struct_hash)
        else:
            signature = self._key.sign_digest(digest)
        return SignedOrder(order, "0x" + signature.hex(), "0x" + digest.hex(), contract)

    def __repr__(self) -> str:
        return (
            f"OrderSigner(signature_type={self.signature_type.name}, maker={self.maker!r}, "
            f"signer={self.signer!r}, chain_id={self.exchanges.chain_id})"
        )
